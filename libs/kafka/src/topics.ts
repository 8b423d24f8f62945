import type { ITopicConfig } from 'kafkajs';
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

/** The pipeline's three topics under other names, as admin.createTopics takes them: a test's, a benchmark's or a scenario's own. */
export function topicCopies(names: { usage: string; dlq: string; invoices: string }): ITopicConfig[] {
  return [
    renamed(topicSpec('usage.events.v1'), names.usage),
    renamed(topicSpec('usage.events.dlq.v1'), names.dlq),
    renamed(topicSpec('billing.invoices.v1'), names.invoices),
  ].map(topicConfig);
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
