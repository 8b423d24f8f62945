import { readFileSync } from 'node:fs';

/**
 * The environment, read and validated once at boot into one typed object. A bad variable
 * fails the process at start with its name, never later with a confusing symptom.
 */
export interface MeteringConfig {
  /** What the services connect with: the metering_app role, which cannot alter the schema. */
  databaseUrl: string;
  /**
   * The owner of the schema, for what the services may not do: `aggregator rebuild` (creates
   * and renames tables) and `billing verify` (creates a scratch database).
   */
  databaseOwnerUrl: string;
  kafkaBrokers: string[];
  /** TLS and SASL towards the brokers (KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_*). */
  kafkaSecurity: KafkaSecurity;
  operatorToken: string;
  operatorTokenIsDefault: boolean;
  host: string;
  ports: { collector: number; api: number; invoicing: number; aggregator: number };
  topics: { usage: string; dlq: string; invoices: string };
  consumerGroup: string;
  /** How long a period close waits for the aggregator to fold what Kafka held when it began. */
  closeBarrierTimeoutMs: number;
  /** How old a read answer may be when served (its computation's start); 0: never older than the request. */
  readStalenessMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Per-token request rates: hosts posting events, members reading. The operator is not limited. */
  rateLimits: { ingest: { perSecond: number; burst: number }; read: { perSecond: number; burst: number } };
  /** Spend alerts: their topic, the webhook hosts allowed on internal addresses, the first retry's wait. */
  alerts: AlertsConfig;
}

export interface AlertsConfig {
  /** ALERTS_TOPIC: where alert.triggered goes (billing.alerts.v1). */
  topic: string;
  /** ALERT_WEBHOOK_ALLOW_HOSTS: hosts a webhook may reach on loopback, private or link-local addresses. */
  allowHosts: string[];
  /** ALERT_WEBHOOK_RETRY_BASE_MS: the first retry waits up to this (10 s); each later one up to twice as long. */
  retryBaseMs: number;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** How every Kafka client of ours connects: plaintext, TLS, and SASL on either. */
export interface KafkaSecurity {
  /** False for plaintext; with `ca`, the PEM the brokers' certificates are checked against instead of the public roots. */
  ssl: false | { ca?: string };
  sasl: { mechanism: SaslMechanism; username: string; password: string } | null;
}

const SASL_MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

/**
 * KAFKA_SSL (true/false), KAFKA_SSL_CA_FILE (a PEM; implies TLS), KAFKA_SASL_MECHANISM (plain,
 * scram-sha-256, scram-sha-512) with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. The CA file is
 * read here, at boot, so a wrong path fails the start rather than the first connection.
 */
export function loadKafkaSecurity(env: Env = process.env): KafkaSecurity {
  const rawSsl = (env['KAFKA_SSL'] ?? '').trim().toLowerCase();
  if (!['', 'true', 'false', '1', '0'].includes(rawSsl)) {
    throw new ConfigError('KAFKA_SSL', `true or false, got '${env['KAFKA_SSL']}'`);
  }
  const caFile = env['KAFKA_SSL_CA_FILE']?.trim() || undefined;
  if (caFile && (rawSsl === 'false' || rawSsl === '0')) {
    throw new ConfigError('KAFKA_SSL_CA_FILE', 'is set while KAFKA_SSL is false');
  }
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new ConfigError(
        'KAFKA_SSL_CA_FILE',
        `cannot read '${caFile}': ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError('KAFKA_SSL_CA_FILE', `'${caFile}' holds no PEM certificate`);
    }
  }
  const ssl = rawSsl === 'true' || rawSsl === '1' || ca !== undefined ? (ca ? { ca } : {}) : false;
  const rawMechanism = env['KAFKA_SASL_MECHANISM']?.trim().toLowerCase() || undefined;
  if (rawMechanism === undefined) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      if (env[name]) throw new ConfigError(name, 'is set without KAFKA_SASL_MECHANISM');
    }
    return { ssl, sasl: null };
  }
  if (!(SASL_MECHANISMS as readonly string[]).includes(rawMechanism)) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', `one of ${SASL_MECHANISMS.join(', ')}; got '${rawMechanism}'`);
  }
  const username = env['KAFKA_SASL_USERNAME'];
  if (!username) throw new ConfigError('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${rawMechanism}`);
  const password = env['KAFKA_SASL_PASSWORD'];
  if (!password) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required with KAFKA_SASL_MECHANISM=${rawMechanism}`);
  return { ssl, sasl: { mechanism: rawMechanism as SaslMechanism, username, password } };
}

/** Printed loudly by every service that runs with it: it is in this repository for all to see. */
export const DEFAULT_OPERATOR_TOKEN = 'dev-operator-token-change-me';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(name, `not a TCP port: '${raw}'`);
  return n;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `not a positive whole number: '${raw}'`);
  return n;
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `not a whole number of 0 or more: '${raw}'`);
  return n;
}

function nonEmpty(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') throw new ConfigError(name, 'is set but empty');
  return raw.trim();
}

export const DEFAULT_DATABASE_URL = 'postgres://metering_app@127.0.0.1:5432/metering';
export const DEFAULT_DATABASE_OWNER_URL = 'postgres://postgres@127.0.0.1:5432/metering';

function postgresUrl(env: Env, name: string, fallback: string): string {
  const url = nonEmpty(env, name, fallback);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(name, `expected postgres://..., got '${url}'`);
  try {
    new URL(url);
  } catch {
    throw new ConfigError(name, `not a URL: '${url}'`);
  }
  return url;
}

/**
 * DATABASE_OWNER_URL when set. Otherwise the owner of DATABASE_URL's database: DATABASE_URL
 * itself when it names another role than metering_app (a set-up from before the roles were
 * split, one URL for everything), else the same server and database as user postgres.
 */
function ownerUrl(env: Env, databaseUrl: string): string {
  if (env['DATABASE_OWNER_URL'] !== undefined || env['DATABASE_URL'] === undefined) {
    return postgresUrl(env, 'DATABASE_OWNER_URL', DEFAULT_DATABASE_OWNER_URL);
  }
  const u = new URL(databaseUrl);
  if (decodeURIComponent(u.username) !== 'metering_app') return databaseUrl;
  u.username = 'postgres';
  u.password = '';
  return u.toString();
}

export function loadConfig(env: Env = process.env): MeteringConfig {
  const databaseUrl = postgresUrl(env, 'DATABASE_URL', DEFAULT_DATABASE_URL);
  const databaseOwnerUrl = ownerUrl(env, databaseUrl);
  const kafkaBrokers = nonEmpty(env, 'KAFKA_BROKERS', '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const b of kafkaBrokers) {
    if (!/^[^:\s]+:\d+$/.test(b)) throw new ConfigError('KAFKA_BROKERS', `expected host:port, got '${b}'`);
  }
  const operatorToken = nonEmpty(env, 'METERING_OPERATOR_TOKEN', DEFAULT_OPERATOR_TOKEN);
  if (operatorToken.length < 16) {
    throw new ConfigError('METERING_OPERATOR_TOKEN', 'must be at least 16 characters');
  }
  const logLevel = nonEmpty(env, 'LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `one of debug, info, warn, error; got '${logLevel}'`);
  }
  return {
    databaseUrl,
    databaseOwnerUrl,
    kafkaBrokers,
    kafkaSecurity: loadKafkaSecurity(env),
    operatorToken,
    operatorTokenIsDefault: operatorToken === DEFAULT_OPERATOR_TOKEN,
    host: nonEmpty(env, 'METERING_BIND_HOST', '127.0.0.1'),
    ports: {
      collector: port(env, 'COLLECTOR_PORT', 4100),
      api: port(env, 'API_PORT', 4000),
      invoicing: port(env, 'INVOICING_PORT', 4200),
      aggregator: port(env, 'AGGREGATOR_PORT', 4300),
    },
    topics: {
      usage: nonEmpty(env, 'USAGE_TOPIC', 'usage.events.v1'),
      dlq: nonEmpty(env, 'USAGE_DLQ_TOPIC', 'usage.events.dlq.v1'),
      invoices: nonEmpty(env, 'INVOICES_TOPIC', 'billing.invoices.v1'),
    },
    consumerGroup: nonEmpty(env, 'AGGREGATOR_GROUP', 'metering-aggregator'),
    alerts: {
      topic: nonEmpty(env, 'ALERTS_TOPIC', 'billing.alerts.v1'),
      allowHosts: (env['ALERT_WEBHOOK_ALLOW_HOSTS'] ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ''),
      retryBaseMs: positiveInt(env, 'ALERT_WEBHOOK_RETRY_BASE_MS', 10_000),
    },
    closeBarrierTimeoutMs: positiveInt(env, 'CLOSE_BARRIER_TIMEOUT_MS', 60_000),
    readStalenessMs: nonNegativeInt(env, 'READ_STALENESS_MS', 500),
    logLevel: logLevel as MeteringConfig['logLevel'],
    rateLimits: {
      ingest: {
        perSecond: positiveInt(env, 'RATE_LIMIT_INGEST', 200),
        burst: 2 * positiveInt(env, 'RATE_LIMIT_INGEST', 200),
      },
      read: {
        perSecond: positiveInt(env, 'RATE_LIMIT_READ', 100),
        burst: 2 * positiveInt(env, 'RATE_LIMIT_READ', 100),
      },
    },
  };
}

export const METERING_CONFIG = Symbol('METERING_CONFIG');
