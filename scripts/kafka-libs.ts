import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../chaos/paths';

/**
 * The Kafka version the stack runs: KAFKA_VERSION when set (`KAFKA_VERSION=3.9.1`), else
 * stack/pom.xml's `kafka.version` (as scripts/stack-lib/base.mjs reads it).
 */
export function stackKafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KAFKA_VERSION']) return env['KAFKA_VERSION'];
  const version = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(
    readFileSync(join(repoRoot(), 'stack', 'pom.xml'), 'utf8'),
  )?.[1];
  if (!version) throw new Error('no <kafka.version> in stack/pom.xml');
  return version;
}

/** The broker's jars, where `npm run stack` puts them (the same directory holds kafka-tools). */
export function stackKafkaLibs(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['METERING_HOME'] || join(homedir(), '.cache', 'usage-metering');
  return join(home, `kafka-${stackKafkaVersion(env)}`, 'libs');
}
