import fs from 'node:fs';

/**
 * kafkajs' ssl and sasl options from KAFKA_SSL, KAFKA_SSL_CA_FILE and KAFKA_SASL_*, the variables the
 * services read (libs/service/src/config.ts validates them for the services; this plain-ESM copy
 * serves the stack scripts, which run without a build).
 */
export function kafkajsSecurityFromEnv(env = process.env) {
  const out = {};
  const caFile = env.KAFKA_SSL_CA_FILE?.trim();
  if (/^(true|1)$/i.test(env.KAFKA_SSL?.trim() ?? '') || caFile) {
    out.ssl = caFile ? { ca: [fs.readFileSync(caFile, 'utf8')] } : true;
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  if (mechanism) {
    out.sasl = { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' };
  }
  return out;
}
