import { Readiness } from './readiness';

describe('Readiness', () => {
  it('is ready only when every check passes', async () => {
    const r = new Readiness({ cacheMs: 0 });
    r.add({ name: 'kafka', check: async () => true });
    r.add({
      name: 'clickhouse',
      check: async () => {
        throw new Error('connection refused');
      },
    });
    const report = await r.report();
    expect(report.ready).toBe(false);
    expect(report.checks).toEqual({ kafka: 'ok', clickhouse: 'connection refused' });
  });

  it('reports a hung dependency as a timeout instead of hanging the probe', async () => {
    const r = new Readiness({ cacheMs: 0, timeoutMs: 20 });
    r.add({ name: 'slow', check: () => new Promise(() => undefined) });
    expect((await r.report()).checks.slow).toMatch(/timed out after 20 ms/);
  });

  it('stops being ready once draining starts', async () => {
    const r = new Readiness({ cacheMs: 0 });
    r.add({ name: 'x', check: async () => undefined });
    expect((await r.report()).ready).toBe(true);
    r.startDraining();
    expect(await r.report()).toMatchObject({ ready: false, draining: true });
  });

  it('caches a report for the configured time', async () => {
    let t = 0;
    let calls = 0;
    const r = new Readiness({ cacheMs: 1000, now: () => t });
    r.add({
      name: 'x',
      check: async () => {
        calls++;
      },
    });
    await r.report();
    t = 500;
    await r.report();
    t = 1500;
    await r.report();
    expect(calls).toBe(2);
  });
});
