import type { ReadinessCheck } from '@offerstream/observability';

interface AdminLike {
  connect(): Promise<void>;
  describeCluster(): Promise<unknown>;
}
interface PingLike {
  ping(): Promise<{ success: boolean }>;
}

/** Ready when the Kafka cluster answers a metadata request. */
export function kafkaCheck(admin: AdminLike): ReadinessCheck {
  return {
    name: 'kafka',
    check: async () => {
      await admin.connect(); // a no-op once connected; reconnects after an outage
      await admin.describeCluster();
    },
  };
}

/** Ready when ClickHouse answers a ping. */
export function clickhouseCheck(client: PingLike): ReadinessCheck {
  return {
    name: 'clickhouse',
    check: async () => {
      const r = await client.ping();
      if (!r.success) throw new Error('ClickHouse ping failed');
    },
  };
}
