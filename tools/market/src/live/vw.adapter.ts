import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One action of a VW decision: an offer with its candidate vector, or "no offer" (id null). */
export interface VwAction {
  readonly id: string | null;
  readonly x?: readonly number[];
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
}

/**
 * Vowpal Wabbit's cb_explore_adf in a Python process (tools/market/vw/vw_arm.py), spoken to
 * in JSON lines over stdin/stdout; replies come in request order.
 */
export class VwLearner {
  private readonly pending: Pending[] = [];
  private exited: Error | undefined;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const p = this.pending.shift();
      if (!p) return;
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (typeof msg.error === 'string') p.reject(new Error(`vw: ${msg.error}`));
        else p.resolve(msg);
      } catch (e) {
        p.reject(e as Error);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      this.exited = new Error(`vw process exited with ${code}: ${this.stderr.trim()}`);
      for (const p of this.pending.splice(0)) p.reject(this.exited);
    });
  }

  /** Starts the process and checks that it answers; `args` replace the script's VW options. */
  static async start(python: string, script: string, args?: string): Promise<VwLearner> {
    const child = spawn(python, [script, ...(args ? args.split(/\s+/).filter(Boolean) : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const vw = new VwLearner(child);
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    await spawned;
    await vw.info();
    return vw;
  }

  private call(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin!.write(JSON.stringify(req) + '\n');
    });
  }

  /** VW's version, options and examples learned. */
  async info(): Promise<{ vw: string; args: string; learned: number }> {
    const r = await this.call({ op: 'info' });
    return { vw: String(r.vw), args: String(r.args), learned: Number(r.learned) };
  }

  /** The exploration distribution over `actions` (VW's pmf, in action order). */
  async predict(shared: readonly number[], actions: readonly VwAction[]): Promise<number[]> {
    const r = await this.call({ op: 'predict', shared, actions });
    return r.pmf as number[];
  }

  /** One bandit observation: the action chosen with probability `prob` cost `cost`. */
  async learn(
    shared: readonly number[],
    actions: readonly VwAction[],
    chosen: number,
    cost: number,
    prob: number,
  ): Promise<void> {
    await this.call({ op: 'learn', shared, actions, chosen, cost, prob });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  }
}
