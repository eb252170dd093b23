import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { Logger } from '@offerstream/logging';
import { topicConfig, type TopicSpec } from './topics';

export interface ProvisionResult {
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
}

/**
 * Makes the cluster hold the declared topics: creates missing ones, raises partition
 * counts that are too low (never lowers them: that would re-key data), and sets declared
 * configs that differ. Idempotent; safe to run at every start.
 */
export async function provisionTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  opts: { replicationFactor: number; logger?: Logger },
): Promise<ProvisionResult> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  const present = specs.filter((s) => existing.has(s.name));
  const result: ProvisionResult = { created: [], updated: [], unchanged: [] };

  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: opts.replicationFactor,
        configEntries: Object.entries(topicConfig(s)).map(([name, value]) => ({ name, value })),
      })),
    });
    result.created.push(...missing.map((s) => s.name));
  }
  if (present.length === 0) return result;

  const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name })),
  });
  for (const s of present) {
    let changed = false;
    const partitions = meta.topics.find((t) => t.name === s.name)?.partitions.length ?? 0;
    if (partitions < s.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: s.name, count: s.partitions }] });
      changed = true;
    } else if (partitions > s.partitions) {
      opts.logger?.warn(
        { topic: s.name, partitions, declared: s.partitions },
        'topic has more partitions than declared; leaving it',
      );
    }
    const want = topicConfig(s);
    const have = new Map(
      (described.resources.find((r) => r.resourceName === s.name)?.configEntries ?? []).map((e) => [
        e.configName,
        e.configValue,
      ]),
    );
    if (Object.entries(want).some(([k, v]) => have.get(k) !== v)) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: s.name,
            configEntries: Object.entries(want).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      changed = true;
    }
    (changed ? result.updated : result.unchanged).push(s.name);
  }
  opts.logger?.info(result, 'topics provisioned');
  return result;
}
