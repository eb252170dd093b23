import { ConfigResourceTypes } from 'kafkajs';
import { provisionTopics, topicSpecs, type Kafka } from '@offerstream/kafka';
import { expectEventually, uniqueName } from '@offerstream/testing';
import { testKafka } from '../support/infra';

describe('topic provisioning against the real broker', () => {
  let kafka: Kafka;
  beforeAll(() => {
    kafka = testKafka();
  });

  it('creates the declared topics with their partitions and configs, is idempotent, and repairs drift', async () => {
    const prefix = `${uniqueName('prov')}.`;
    const specs = topicSpecs(prefix).map((t) => ({ ...t, partitions: Math.min(t.partitions, 2) }));
    const campaigns = specs.find((t) => t.name.endsWith('campaigns.v1'))!;
    const events = specs.find((t) => t.name.endsWith('events.v1'))!;
    const admin = kafka.admin();
    await admin.connect();
    const retentionOf = async (topic: string) => {
      const d = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      });
      return d.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')
        ?.configValue;
    };
    try {
      const first = await provisionTopics(admin, specs, { replicationFactor: 1 });
      expect(first.created.sort()).toEqual(specs.map((s) => s.name).sort());

      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: campaigns.name }],
      });
      const cfg = Object.fromEntries(
        described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]),
      );
      expect(cfg).toMatchObject({
        'cleanup.policy': 'compact',
        'retention.ms': '-1',
        'min.compaction.lag.ms': '0',
      });

      const again = await provisionTopics(admin, specs, { replicationFactor: 1 });
      expect(again.created).toEqual([]);
      expect(again.updated).toEqual([]);

      // Someone changed retention by hand and the declared partitions grew: both are repaired.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: events.name,
            configEntries: [{ name: 'retention.ms', value: '1000' }],
          },
        ],
      });
      // The broker applies a config change when it reads it back from the metadata log
      // (KRaft), a moment after the controller accepted it: wait until the drift shows, or
      // provisioning may still read the declared value and have nothing to repair.
      await expectEventually(async () => expect(await retentionOf(events.name)).toBe('1000'), {
        timeoutMs: 10_000,
      });
      const grown = specs.map((s) => (s === events ? { ...s, partitions: 4 } : s));
      const repaired = await provisionTopics(admin, grown, { replicationFactor: 1 });
      expect(repaired.updated).toEqual([events.name]);
      await expectEventually(
        async () => {
          const meta = await admin.fetchTopicMetadata({ topics: [events.name] });
          expect(meta.topics[0]!.partitions).toHaveLength(4);
        },
        { timeoutMs: 10_000 },
      );
      await expectEventually(
        async () => expect(await retentionOf(events.name)).toBe(String(events.retentionMs)),
        { timeoutMs: 10_000 },
      );
    } finally {
      await admin.deleteTopics({ topics: specs.map((s) => s.name) }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
