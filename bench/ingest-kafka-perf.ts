import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stackKafkaLibs } from '../scripts/kafka-libs';

export interface ProducerPerformanceResult {
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
}

function java(): string {
  return process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
}

const SUMMARY = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/;

/**
 * Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance, the Java client)
 * on the same broker: the ceiling any producer on this machine can reach. Same durability as
 * the collector: acks from all in-sync replicas, idempotent.
 */
export function producerPerformance(
  brokers: readonly string[],
  topic: string,
  records: number,
  recordSize: number,
): Promise<ProducerPerformanceResult> {
  const args = [
    '-Xmx512m',
    '-cp',
    join(stackKafkaLibs(), '*'),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${brokers.join(',')}`,
    'acks=all',
    'enable.idempotence=true',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(java(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = out
        .split('\n')
        .map((line) => SUMMARY.exec(line))
        .filter((x) => x !== null)
        .pop();
      if (code !== 0 || !m || Number(m[1]) !== records) {
        reject(new Error(`ProducerPerformance exited with ${code}:\n${out.slice(-3000)}`));
        return;
      }
      resolve({ recordsPerSecond: Number(m[2]), mbPerSecond: Number(m[3]), avgLatencyMs: Number(m[4]) });
    });
  });
}
