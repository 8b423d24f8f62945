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

/** The kafkajs form of a declared topic, for admin.createTopics. */
export function topicConfig(spec: TopicSpec): ITopicConfig {
  return {
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
  };
}
