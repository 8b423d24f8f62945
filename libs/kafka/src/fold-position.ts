import type { Admin } from 'kafkajs';

/** The records of `topic` a consumer group has not folded yet: Kafka's end offsets less the positions it stored. */
export async function foldLag(admin: Admin, topic: string, stored: () => Promise<Map<number, bigint>>): Promise<bigint> {
  const ends = await admin.fetchTopicOffsets(topic);
  const at = await stored();
  return ends.reduce((lag, e) => lag + BigInt(e.high) - (at.get(e.partition) ?? 0n), 0n);
}

/**
 * Resolves once the stored positions reach the end offsets `topic` had when this was called:
 * everything written before it is folded. Read errors (a database restarting) count as not yet.
 */
export async function untilFolded(admin: Admin, topic: string, stored: () => Promise<Map<number, bigint>>, timeoutMs: number): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await stored().catch(() => new Map<number, bigint>());
    if (ends.every((e) => BigInt(e.high) === 0n || (at.get(e.partition) ?? -1n) >= BigInt(e.high))) return;
    if (Date.now() > deadline) throw new Error(`the aggregator did not fold ${topic} to its end within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
