import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KafkaSecurity, loadKafkaSecurity } from '@metering/service';

export interface SecureKafka {
  brokers: string[];
  security: KafkaSecurity;
  env: Record<string, string>;
}

let started: Promise<SecureKafka> | null = null;

/**
 * The `npm run stack -- --secure` broker (SASL_SSL on its own port and METERING_HOME), started
 * or found running, and the variables it prints, read as the services read them.
 */
export function secureKafka(): Promise<SecureKafka> {
  return (started ??= (async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '..', '..', 'scripts', 'stack.mjs'), '--secure', '--quiet'],
      { timeout: 120_000 },
    );
    const env: Record<string, string> = {};
    for (const m of stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) env[m[1]!] = m[2]!;
    if (!env['KAFKA_BROKERS']) throw new Error(`stack --secure printed no variables: ${stdout}`);
    return { brokers: env['KAFKA_BROKERS'].split(','), security: loadKafkaSecurity(env), env };
  })());
}
