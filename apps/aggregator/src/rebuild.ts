import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { createPool, ProjectionStore, REBUILD_TABLES, RebuildStore, SwapReport } from '@metering/db';
import { createKafka, decodeBatch, foldDecoder, messageRecords, TopicReplayer } from '@metering/kafka';
import { foldColumns } from '@metering/metering';
import type { MeteringConfig } from '@metering/service';

/** Close enough to the live positions to take the lock and fold the rest under it. */
const TAIL = 50_000n;

export interface RebuildReport extends SwapReport {
  events: number;
  seconds: number;
}

function sum(m: ReadonlyMap<number, bigint>): bigint {
  let s = 0n;
  for (const v of m.values()) s += v;
  return s;
}

/**
 * `npm run aggregator -- rebuild`: replays usage.events.v1 from offset 0 into fresh projection
 * tables and swaps them in, while the live aggregators go on (see RebuildStore for the swap).
 * The replay uses a consumer group of its own and chases the live positions without passing
 * them; once within TAIL records of them it swaps. Poison is skipped, not dead-lettered again.
 */
export async function rebuild(config: MeteringConfig, log = new Logger('rebuild')): Promise<RebuildReport> {
  const started = Date.now();
  // As the owner: it creates, renames and drops tables, which the services' role may not.
  const pool: Pool = createPool(config.databaseOwnerUrl, { max: 6, options: '-c jit=off' });
  const kafka = createKafka(config.kafkaBrokers, 'aggregator-rebuild');
  const live = { group: config.consumerGroup, topic: config.topics.usage };
  const rebuildGroup = `${config.consumerGroup}.rebuild`;
  const rebuildStore = new RebuildStore(pool);
  const store = new ProjectionStore(pool, REBUILD_TABLES);
  const decoder = foldDecoder();
  const admin = kafka.admin();
  await admin.connect();
  const kafkaGroup = `${rebuildGroup}.${process.pid}.${Date.now()}`;
  const replayer = new TopicReplayer({
    kafka,
    topic: live.topic,
    groupId: kafkaGroup,
    apply: async ({ partition, firstOffset, nextOffset, messages }) => {
      const { columns, corrections, offsets } = decodeBatch(messageRecords(messages), decoder);
      const outcome = await store.applyBatch(
        { group: rebuildGroup, topic: live.topic, partition },
        { offsets, keys: columns, firstOffset, nextOffset, corrections },
        (fresh) => foldColumns(columns, fresh),
      );
      return outcome.status === 'gap' ? { done: false, seekTo: outcome.nextOffset } : { done: true };
    },
  });
  try {
    await rebuildStore.prepare(rebuildGroup);
    const partitions = (await admin.fetchTopicOffsets(live.topic)).map((o) => o.partition);
    await replayer.start(partitions, new Map());
    for (;;) {
      const targets = await rebuildStore.positions(live.group, live.topic);
      if (sum(targets) - sum(replayer.positions) <= TAIL) break;
      log.log(`replaying up to the live positions: ${sum(replayer.positions)} of ${sum(targets)} records`);
      await replayer.runTo(targets);
    }
    const report = await rebuildStore.swap(live, rebuildGroup, (targets) => replayer.runTo(targets));
    log.log(
      `swapped in at ${sum(report.positions)} records; rows differing from the live projections: ${JSON.stringify(report.differences)}`,
    );
    return { ...report, events: Number(sum(report.positions)), seconds: (Date.now() - started) / 1000 };
  } finally {
    await replayer.stop().catch(() => undefined);
    await admin.deleteGroups([kafkaGroup]).catch(() => undefined);
    await admin.disconnect();
    await rebuildStore.cleanup(rebuildGroup).catch((e: unknown) => log.warn(`cleanup: ${String(e)}`));
    await pool.end();
  }
}
