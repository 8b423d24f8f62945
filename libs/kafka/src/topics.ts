import type { Admin, ITopicConfig } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import declared from '../../../schemas/topics.json';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/** The topics as declared in schemas/topics.json: the one place their settings live. */
export const TOPICS: readonly TopicSpec[] = declared.topics as TopicSpec[];

export function topicSpec(name: string): TopicSpec {
  const spec = TOPICS.find((t) => t.name === name);
  if (!spec) throw new Error(`topic '${name}' is not declared in schemas/topics.json`);
  return spec;
}

/**
 * Creates the missing topics with their declared settings and re-applies the settings of those
 * that exist, so a topic's settings are always the declared ones.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = specs
    .filter((s) => !existing.has(s.name))
    .map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      replicationFactor: s.replicationFactor,
      configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
    }));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  const present = specs.filter((s) => existing.has(s.name));
  if (present.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: present.map((s) => ({
        type: ConfigResourceTypes.TOPIC,
        name: s.name,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
}

/** A declared topic's settings under another name (tests and rebuilds use private topics). */
export function renamed(spec: TopicSpec, name: string): TopicSpec {
  return { ...spec, name };
}
