import { SERVICE_NAMES } from '@offerstream/contracts';
import { checkHealth, listServices } from '@offerstream/grpc';
import { expectEventually } from '@offerstream/testing';
import { freshDatabase, freshTopics, testKafka } from '../support/infra';
import { startBuiltService } from '../support/processes';

const SERVICES = [
  { name: 'ingest', grpc: [SERVICE_NAMES.ingest] },
  { name: 'feature', grpc: [SERVICE_NAMES.features] },
  { name: 'scoring', grpc: [SERVICE_NAMES.scoring] },
  { name: 'bandit-policy', grpc: [SERVICE_NAMES.campaigns, SERVICE_NAMES.offers] },
] as const;

describe.each(SERVICES)('the built $name service', ({ name, grpc }) => {
  // As deployed: the migration and topic jobs have run before the services roll out.
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let prefix: string;
  beforeAll(async () => {
    db = await freshDatabase();
    ({ prefix } = await freshTopics(testKafka()));
  });
  afterAll(() => db.drop());

  it('boots, answers health, reflection, readiness and metrics, and stops cleanly on SIGTERM', async () => {
    const svc = startBuiltService(name, {
      CLICKHOUSE_DATABASE: db.database,
      KAFKA_TOPIC_PREFIX: prefix,
    });
    try {
      const { grpcPort, httpPort } = await svc.serving();
      const address = `127.0.0.1:${grpcPort}`;
      expect(await checkHealth(address)).toBe('SERVING');
      for (const s of grpc) expect(await checkHealth(address, s)).toBe('SERVING');
      expect(await listServices(address)).toEqual(
        expect.arrayContaining([...grpc, 'grpc.health.v1.Health']),
      );
      // Ready once Kafka (and ClickHouse, where used) answer.
      await expectEventually(
        async () => expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200),
        { timeoutMs: 20000 },
      );
      expect(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).toContain(
        `service="${name}"`,
      );

      svc.child.kill('SIGTERM');
      expect(await svc.exited).toEqual({ code: 0, signal: null });
      expect(svc.output()).toContain('shut down cleanly');
    } finally {
      if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
    }
  });
});

describe('a service with bad configuration', () => {
  it('refuses to start, names every bad variable and the rule, and exits 78', async () => {
    const svc = startBuiltService('bandit-policy', {
      GRPC_PORT: '70000',
      KAFKA_BROKERS: 'not a broker',
      CLICKHOUSE_URL: 'ftp://x',
    });
    expect(await svc.exited).toEqual({ code: 78, signal: null });
    const out = svc.output();
    expect(out).toMatch(/GRPC_PORT: must be at most 65535 \(got "70000"\)/);
    expect(out).toMatch(/KAFKA_BROKERS: must be a comma-separated list of host:port/);
    expect(out).toMatch(/CLICKHOUSE_URL: must be a URL with scheme http or https/);
  });
});
