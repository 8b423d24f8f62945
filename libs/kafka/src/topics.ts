import type { Admin, ITopicConfig } from 'kafkajs';
import declared from '../../../schemas/topics.json';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/** The topics as declared in schemas/topics.json: the one place their settings live (`npm run stack` creates them). */
export const TOPICS: readonly TopicSpec[] = declared.topics as TopicSpec[];

export function topicSpec(name: string): TopicSpec {
  const spec = TOPICS.find((t) => t.name === name);
  if (!spec) throw new Error(`topic '${name}' is not declared in schemas/topics.json`);
  return spec;
}

/** A declared topic's settings under another name (tests and rebuilds use private topics). */
export function renamed(spec: TopicSpec, name: string): TopicSpec {
  return { ...spec, name };
}

/**
 * A declared topic as a cluster holds it (as `npm run stack -- --brokers N` creates it): `replicas`
 * replicas, and min.insync.replicas 2 from three on, so an acknowledged write survives one lost broker.
 */
export function replicated(spec: TopicSpec, replicas: number): TopicSpec {
  if (replicas <= 1) return spec;
  const minIsr = replicas >= 3 ? '2' : '1';
  return { ...spec, replicationFactor: replicas, config: { ...spec.config, 'min.insync.replicas': minIsr } };
}

/** The pipeline's three topics under other names, as admin.createTopics takes them: a test's, a benchmark's or a scenario's own (on a cluster, with `replicas`). */
export function topicCopies(names: { usage: string; dlq: string; invoices: string }, replicas = 1): ITopicConfig[] {
  return [
    renamed(topicSpec('usage.events.v1'), names.usage),
    renamed(topicSpec('usage.events.dlq.v1'), names.dlq),
    renamed(topicSpec('billing.invoices.v1'), names.invoices),
  ].map((spec) => topicConfig(replicated(spec, replicas)));
}

/** The kafkajs form of a declared topic, for admin.createTopics. */
export function topicConfig(spec: TopicSpec): ITopicConfig {
  return {
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
  };
}

/**
 * Creates the topics and waits until every partition has a leader. kafkajs' own wait for leaders
 * gives up on a transient "does not host this topic-partition" from a busy broker right after
 * creation: create, then wait ourselves.
 */
export async function createAndWait(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
      .then((m) =>
        topics.every((want) => {
          const got = m.topics.find((t) => t.name === want.topic);
          return (
            got !== undefined &&
            got.partitions.length === (want.numPartitions ?? 1) &&
            got.partitions.every((p) => p.leader >= 0)
          );
        }),
      )
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.map((t) => t.topic).join(', ')} have no leaders after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
