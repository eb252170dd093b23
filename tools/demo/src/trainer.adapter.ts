import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What a training run gave. */
export type TrainResult =
  | {
      readonly ok: true;
      readonly model: string;
      readonly version: string;
      readonly metrics: Readonly<Record<string, number>>;
      readonly seconds: number;
    }
  | { readonly ok: false; readonly reason: string; readonly seconds: number };

/**
 * Runs the trainer CLI (`offerstream-train`, services/trainer) on the decisions served in
 * [sinceMs, untilMs): it reads them and their rewards from ClickHouse, trains, exports ONNX
 * into the model store and announces the version on offerstream.models.v1.
 */
export async function trainModel(o: {
  readonly bin: string;
  readonly cwd: string;
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly modelName: string;
  readonly store: string;
  readonly env: Record<string, string>;
  readonly extraArgs?: readonly string[];
  /** Each stderr line of the trainer (its log). */
  readonly log: (line: string) => void;
}): Promise<TrainResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (!existsSync(o.bin))
    return {
      ok: false,
      reason: `the trainer is not installed (${o.bin}; make trainer-venv)`,
      seconds: 0,
    };
  const args = [
    '--since',
    String(Math.floor(o.sinceMs)),
    '--until',
    String(Math.ceil(o.untilMs)),
    '--out',
    o.store,
    '--model-name',
    o.modelName,
    '--no-progress',
    // The demo serves what it trained on this run's data, whatever an earlier run left as production.
    '--force',
    ...(o.extraArgs ?? []),
  ];
  return new Promise<TrainResult>((resolve) => {
    const child = spawn(o.bin, args, { cwd: o.cwd, env: { ...process.env, ...o.env } });
    let stdout = '';
    let tail = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        tail = (tail + l + '\n').slice(-2000);
        if (l.trim()) o.log(l);
      }
    });
    child.on('error', (err) => resolve({ ok: false, reason: err.message, seconds: seconds() }));
    child.on('close', (code) => {
      if (code !== 0) {
        resolve({
          ok: false,
          reason: `offerstream-train exited with ${code}: ${(tail + partial).trim().split('\n').slice(-3).join(' / ')}`,
          seconds: seconds(),
        });
        return;
      }
      try {
        const json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
          model: string;
          metrics?: Record<string, number>;
        };
        const [model = '', version = ''] = json.model.split('@');
        resolve({ ok: true, model, version, metrics: json.metrics ?? {}, seconds: seconds() });
      } catch (e) {
        resolve({
          ok: false,
          reason: `unreadable trainer output (${(e as Error).message})`,
          seconds: seconds(),
        });
      }
    });
  });
}

/** What the pacing lab said of a run. */
export type PacingLabResult =
  | { readonly ok: true; readonly text: string; readonly seconds: number }
  | { readonly ok: false; readonly reason: string; readonly seconds: number };

/**
 * Runs the trainer's pacing lab (`offerstream-trainer pacing-lab`, services/trainer) on a
 * finished run: its model arm replayed under the budget pacer with `seeds` redemption draws.
 * Its stdout (a table, then key=value figures) is the result.
 */
export async function pacingLab(o: {
  readonly bin: string;
  readonly cwd: string;
  readonly runId: string;
  readonly seeds: number;
  readonly env: Record<string, string>;
}): Promise<PacingLabResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (!existsSync(o.bin))
    return { ok: false, reason: `the trainer is not installed (${o.bin})`, seconds: 0 };
  const args = ['pacing-lab', '--demo-run', o.runId, '--seeds', String(o.seeds), '--root', o.cwd];
  return new Promise<PacingLabResult>((resolve) => {
    const child = spawn(o.bin, args, { cwd: o.cwd, env: { ...process.env, ...o.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', (err) => resolve({ ok: false, reason: err.message, seconds: seconds() }));
    child.on('close', (code) =>
      resolve(
        code === 0
          ? { ok: true, text: stdout.trimEnd(), seconds: seconds() }
          : {
              ok: false,
              reason: `pacing-lab exited with ${code}: ${stderr.trim().split('\n').slice(-2).join(' / ')}`,
              seconds: seconds(),
            },
      ),
    );
  });
}
