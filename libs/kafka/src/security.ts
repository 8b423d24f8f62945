import { KafkaSecurity, loadKafkaSecurity } from '@metering/service';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

let fromEnv: KafkaSecurity | null = null;

/**
 * The security of this process's environment (KAFKA_SSL, KAFKA_SASL_*), read once. Every client
 * of ours takes it when not handed one, so that each service, tool, benchmark and chaos run that
 * talks to Kafka connects the same way without passing it along.
 */
export function envKafkaSecurity(): KafkaSecurity {
  return (fromEnv ??= loadKafkaSecurity(process.env));
}

/** The same security in kafkajs' terms. */
export function kafkajsSecurity(s: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = s.ssl === false ? undefined : s.ssl.ca ? { ca: [s.ssl.ca] } : true;
  // The three mechanisms take the same fields; kafkajs types them as a union by mechanism.
  const sasl = s.sasl
    ? ({ mechanism: s.sasl.mechanism, username: s.sasl.username, password: s.sasl.password } as SASLOptions)
    : undefined;
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
