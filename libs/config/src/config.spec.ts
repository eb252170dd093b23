import { ConfigError, describeConfig, env, loadConfig } from './index';

const spec = {
  GRPC_PORT: env.port({ doc: 'gRPC port', default: '50051' }),
  KAFKA_BROKERS: env.hostPorts({ doc: 'brokers' }),
  CLICKHOUSE_URL: env.url({ doc: 'ClickHouse', protocols: ['http', 'https'] }),
  LOG_LEVEL: env.oneOf(['debug', 'info', 'warn'] as const, { doc: 'level', default: 'info' }),
  CLICKHOUSE_PASSWORD: env.string({ doc: 'password', optional: true, secret: true }),
  FLAG: env.bool({ doc: 'a flag', default: 'false' }),
  BATCH: env.int({ doc: 'batch', min: 1, max: 1000, default: '100' }),
};

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses valid variables into typed values and applies defaults', () => {
    const cfg = loadConfig(spec, {
      KAFKA_BROKERS: '127.0.0.1:9092, broker-2:9093',
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      FLAG: '1',
    });
    expect(cfg.GRPC_PORT).toBe(50051);
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'broker-2:9093']);
    expect(cfg.LOG_LEVEL).toBe('info');
    expect(cfg.FLAG).toBe(true);
    expect(cfg.BATCH).toBe(100);
    expect(cfg.CLICKHOUSE_PASSWORD).toBeUndefined();
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('names every bad variable and the rule it broke, not just the first', () => {
    const err = errorOf(() =>
      loadConfig(spec, {
        GRPC_PORT: '70000',
        KAFKA_BROKERS: 'no-port-here',
        CLICKHOUSE_URL: 'ftp://x',
        LOG_LEVEL: 'loud',
        BATCH: '2.5',
      }),
    );
    const byVar = Object.fromEntries(err.issues.map((i) => [i.variable, i]));
    expect(Object.keys(byVar).sort()).toEqual(
      ['BATCH', 'CLICKHOUSE_URL', 'GRPC_PORT', 'KAFKA_BROKERS', 'LOG_LEVEL'].sort(),
    );
    expect(byVar.GRPC_PORT?.rule).toMatch(/at most 65535/);
    expect(byVar.GRPC_PORT?.received).toBe('70000');
    expect(byVar.KAFKA_BROKERS?.rule).toMatch(/host:port/);
    expect(byVar.CLICKHOUSE_URL?.rule).toMatch(/scheme http or https/);
    expect(byVar.LOG_LEVEL?.rule).toMatch(/one of debug, info, warn/);
    expect(byVar.BATCH?.rule).toMatch(/whole number/);
    expect(err.message).toMatch(/5 problems/);
    expect(err.message).toMatch(/GRPC_PORT: must be at most 65535 \(got "70000"\)/);
  });

  it('reports a missing required variable by name', () => {
    const err = errorOf(() => loadConfig(spec, { CLICKHOUSE_URL: 'http://h:8123' }));
    expect(err.issues).toEqual([{ variable: 'KAFKA_BROKERS', rule: 'is required and not set' }]);
  });

  it('never echoes a secret value', () => {
    const secretSpec = { TOKEN: env.string({ doc: 't', secret: true, pattern: /^tok_/ }) };
    const err = errorOf(() => loadConfig(secretSpec, { TOKEN: 'hunter2' }));
    expect(err.issues[0]?.received).toBeUndefined();
    expect(err.message).not.toContain('hunter2');
  });

  it('describes the spec for the configuration reference', () => {
    const rows = describeConfig(spec);
    expect(rows.find((r) => r.variable === 'KAFKA_BROKERS')).toMatchObject({ required: true });
    expect(rows.find((r) => r.variable === 'GRPC_PORT')).toMatchObject({
      required: false,
      defaultValue: '50051',
    });
  });
});
