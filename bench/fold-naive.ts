import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { decodeUsageEvent } from '@metering/kafka';

/**
 * The naive design the fold is measured against: one INSERT per raw event into an events table
 * (each its own transaction, deduplicated by a unique (source, id)), then GROUP BY
 * date_trunc('hour', time) to answer the same question the hourly projection answers.
 * Measured on the first `sample` events of the same topic: at its pace the whole topic would
 * take the benchmark past its time budget; its rate does not depend on the sample's size.
 */
export const NAIVE_TABLE = `
  CREATE TABLE naive_events (
    source text NOT NULL, id text NOT NULL, time timestamptz NOT NULL, org text NOT NULL, app text NOT NULL,
    region text NOT NULL, sku text NOT NULL, resource text NOT NULL, quantity numeric NOT NULL,
    PRIMARY KEY (source, id)
  )`;

export async function naiveRun(
  databaseUrl: string,
  brokers: string[],
  topic: string,
  sample: number,
): Promise<{ eventsPerSecond: number; rows: number }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const kafka = new Kafka({ clientId: 'bench-naive', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `bench-naive-${process.pid}-${Date.now()}`,
    maxBytesPerPartition: 1 << 20,
  });
  try {
    await db.query(NAIVE_TABLE);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let busyMs = 0;
    await new Promise<void>((resolve, reject) => {
      void consumer
        .run({
          eachBatch: async ({ batch, resolveOffset }) => {
            for (const m of batch.messages) {
              if (seen >= sample) return resolve();
              const { event: e } = decodeUsageEvent(m.value!);
              const t = performance.now();
              await db.query(
                `INSERT INTO naive_events (source, id, time, org, app, region, sku, resource, quantity)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source, id) DO NOTHING`,
                [e.source, e.id, new Date(e.time), e.org, e.app, e.region, e.sku, e.resource, e.quantity],
              );
              busyMs += performance.now() - t;
              resolveOffset(m.offset);
              seen++;
            }
          },
        })
        .catch(reject);
    });
    await consumer.stop();
    const t = performance.now();
    const { rowCount } = await db.query(
      `SELECT org, date_trunc('hour', time) AS hour, sku, app, region, sum(quantity), count(*)
         FROM naive_events GROUP BY 1, 2, 3, 4, 5`,
    );
    busyMs += performance.now() - t;
    return { eventsPerSecond: (seen * 1000) / busyMs, rows: rowCount ?? 0 };
  } finally {
    await consumer.disconnect();
    await db.end();
  }
}
