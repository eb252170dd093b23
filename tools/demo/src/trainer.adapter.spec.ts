import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pacingLab, trainModel } from './trainer.adapter';

/** An executable script standing in for the trainer's CLI. */
function fakeBin(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pacing-lab-'));
  const bin = join(dir, 'offerstream-trainer');
  writeFileSync(bin, `#!/bin/sh\n${body}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

describe('pacingLab', () => {
  const base = { cwd: tmpdir(), runId: '20261204015448', seeds: 48, env: {} };

  it('returns the lab’s stdout, having asked for the run and the draws', async () => {
    const bin = fakeBin('echo "args: $*"; echo "log line" >&2; echo "x_share=0.9"');
    const r = await pacingLab({ ...base, bin });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.text).toBe(
      `args: pacing-lab --demo-run 20261204015448 --seeds 48 --root ${tmpdir()}\nx_share=0.9`,
    );
  });

  it('says why when the lab fails or is not installed', async () => {
    const failed = await pacingLab({ ...base, bin: fakeBin('echo "no run 1" >&2; exit 2') });
    expect(failed).toMatchObject({ ok: false, reason: 'pacing-lab exited with 2: no run 1' });
    const missing = await pacingLab({ ...base, bin: join(tmpdir(), 'no-such-trainer') });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toContain('not installed');
  });
});

describe('trainModel', () => {
  const base = {
    cwd: tmpdir(),
    sinceMs: 1000.4,
    untilMs: 2000.2,
    modelName: 'm',
    store: '/store',
    env: {},
  };

  it('passes its window and store, streams the log, and reads the announced model', async () => {
    const bin = fakeBin(
      'echo "rows: 10" >&2; echo "" >&2; echo "args: $*" >&2\n' +
        'echo \'{"model": "m@v1", "metrics": {"auc_purchase": 0.8}}\'',
    );
    const log: string[] = [];
    const r = await trainModel({ ...base, bin, log: (l) => log.push(l) });
    expect(r).toMatchObject({
      ok: true,
      model: 'm',
      version: 'v1',
      metrics: { auc_purchase: 0.8 },
    });
    expect(log).toEqual([
      'rows: 10',
      'args: --since 1000 --until 2001 --out /store --model-name m --no-progress --force',
    ]);
  });

  it('says why when training fails or its output is unreadable', async () => {
    const failed = await trainModel({
      ...base,
      bin: fakeBin('echo a >&2; echo b >&2; echo c >&2; echo d >&2; exit 3'),
      log: () => undefined,
    });
    expect(failed).toMatchObject({
      ok: false,
      reason: 'offerstream-train exited with 3: b / c / d',
    });
    const garbled = await trainModel({
      ...base,
      bin: fakeBin('echo "not json"'),
      log: () => undefined,
    });
    expect(garbled.ok).toBe(false);
    if (!garbled.ok) expect(garbled.reason).toContain('unreadable trainer output');
  });
});
