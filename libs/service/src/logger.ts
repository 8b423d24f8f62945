import { ConsoleLogger, LogLevel } from '@nestjs/common';
import type { MeteringConfig } from './config';

const LEVELS: Record<MeteringConfig['logLevel'], LogLevel[]> = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
};

/** Structured JSON lines on stdout, one object per line, so logs can be shipped and queried as they are. */
export function jsonLogger(service: string, level: MeteringConfig['logLevel']): ConsoleLogger {
  return new ConsoleLogger(service, { json: true, logLevels: LEVELS[level] });
}
