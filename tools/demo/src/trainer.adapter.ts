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
  const run = await runTrainerCli(o.bin, args, o.cwd, o.env, o.log);
  if (!run.ok) return { ok: false, reason: run.reason, seconds: seconds() };
  if (run.code !== 0)
    return {
      ok: false,
      reason: `offerstream-train exited with ${run.code}: ${lastLines(run.stderr, 3)}`,
      seconds: seconds(),
    };
  try {
    const json = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      model: string;
      metrics?: Record<string, number>;
    };
    const [model = '', version = ''] = json.model.split('@');
    return { ok: true, model, version, metrics: json.metrics ?? {}, seconds: seconds() };
  } catch (e) {
    return {
      ok: false,
      reason: `unreadable trainer output (${(e as Error).message})`,
      seconds: seconds(),
    };
  }
}

/** How a trainer CLI run ended: its exit code, stdout and the tail of its stderr. */
type CliRun =
  | {
      readonly ok: true;
      readonly code: number | null;
      readonly stdout: string;
      readonly stderr: string;
    }
  | { readonly ok: false; readonly reason: string };

/** The last `n` lines of `text` (trimmed), joined by " / ". */
function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' / ');
}

/**
 * Runs a trainer CLI to its end: stdout whole, stderr's last 2,000 characters, and each
 * non-empty stderr line to `log` as it comes (the trainer's progress).
 */
function runTrainerCli(
  bin: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
  log?: (line: string) => void,
): Promise<CliRun> {
  return new Promise<CliRun>((resolve) => {
    const child = spawn(bin, args, { cwd, env: { ...process.env, ...env } });
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
        if (l.trim()) log?.(l);
      }
    });
    child.on('error', (err) => resolve({ ok: false, reason: err.message }));
    child.on('close', (code) => resolve({ ok: true, code, stdout, stderr: tail + partial }));
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
  const run = await runTrainerCli(o.bin, args, o.cwd, o.env);
  if (!run.ok) return { ok: false, reason: run.reason, seconds: seconds() };
  return run.code === 0
    ? { ok: true, text: run.stdout.trimEnd(), seconds: seconds() }
    : {
        ok: false,
        reason: `pacing-lab exited with ${run.code}: ${lastLines(run.stderr, 2)}`,
        seconds: seconds(),
      };
}
