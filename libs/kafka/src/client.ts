import { Logger } from '@nestjs/common';
import type { KafkaSecurity } from '@metering/service';
import { Kafka, logLevel, LogEntry } from 'kafkajs';
import './kafkajs-idle-timer';
import { envKafkaSecurity, kafkajsSecurity } from './security';

const levels: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs with its logs routed into the service's JSON logger, connecting with `security` (the environment's by default). */
export function createKafka(brokers: string[], clientId: string, security: KafkaSecurity = envKafkaSecurity()): Kafka {
  const logger = new Logger(`kafka:${clientId}`);
  return new Kafka({
    clientId,
    brokers,
    ...kafkajsSecurity(security),
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        logger[levels[level] ?? 'log'](`${message} ${JSON.stringify(rest)}`);
      },
  });
}

/** Ready when the cluster answers a metadata request now. */
export function kafkaReadiness(kafka: Kafka) {
  return {
    name: 'kafka',
    check: async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } finally {
        await admin.disconnect();
      }
    },
  };
}
