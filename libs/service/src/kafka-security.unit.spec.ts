import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadKafkaSecurity } from './config';

const fault = (env: Record<string, string>) => {
  try {
    loadKafkaSecurity(env);
  } catch (e) {
    return e instanceof ConfigError ? [e.variable, e.message] : ['not a ConfigError', String(e)];
  }
  return null;
};

describe('loadKafkaSecurity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'hello');

  it('given nothing, then plaintext without SASL, in the services config too', () => {
    expect(loadKafkaSecurity({})).toEqual({ ssl: false, sasl: null });
    expect(loadConfig({}).kafkaSecurity).toEqual({ ssl: false, sasl: null });
  });

  it('given TLS with a CA file and SCRAM, then the PEM read and the credentials', () => {
    expect(
      loadKafkaSecurity({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'metering',
        KAFKA_SASL_PASSWORD: 'pw',
      }),
    ).toEqual({
      ssl: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
      sasl: { mechanism: 'scram-sha-512', username: 'metering', password: 'pw' },
    });
    expect(loadKafkaSecurity({ KAFKA_SSL: 'true' })).toEqual({ ssl: {}, sasl: null });
    expect(loadKafkaSecurity({ KAFKA_SSL_CA_FILE: ca }).ssl).toEqual({ ca: expect.stringContaining('BEGIN') });
    expect(
      loadKafkaSecurity({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
    ).toEqual({ ssl: false, sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
  });

  it('refuses what cannot work, naming the variable', () => {
    expect(fault({ KAFKA_SSL: 'yes' })).toEqual(['KAFKA_SSL', "KAFKA_SSL: true or false, got 'yes'"]);
    expect(fault({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: ca })?.[0]).toBe('KAFKA_SSL_CA_FILE');
    expect(fault({ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })?.[1]).toMatch(/^KAFKA_SSL_CA_FILE: cannot read/);
    expect(fault({ KAFKA_SSL_CA_FILE: notPem })?.[1]).toMatch(/holds no PEM certificate/);
    expect(fault({ KAFKA_SASL_MECHANISM: 'gssapi' })?.[0]).toBe('KAFKA_SASL_MECHANISM');
    expect(fault({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'p' })?.[0]).toBe('KAFKA_SASL_USERNAME');
    expect(fault({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })?.[0]).toBe('KAFKA_SASL_PASSWORD');
    expect(fault({ KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_USERNAME: is set without KAFKA_SASL_MECHANISM',
    ]);
  });
});
