import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pacingLab } from './trainer.adapter';

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
