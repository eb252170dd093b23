/**
 * Transport ceilings: no-op grpc-js servers (noop-hop-server.ts) that answer with bytes a real
 * service gave, each in its own process as the services run. A bench measures them with the
 * same load generator as the service: whatever a no-op hop (or chain of hops) cannot hold on
 * this machine, no offerstream service on grpc-js can.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What noop-hop-server.js reads (NOOP_SPEC names the file). */
export interface NoopSpec {
  /** The unary method served, e.g. `/offerstream.scoring.v1.ScoringService/Score`. */
  readonly path: string;
  /** The answer to every call, base64. */
  readonly answer: string;
  /** Called one after the other before answering. */
  readonly downstream: readonly {
    readonly path: string;
    readonly address: string;
    readonly request: string;
  }[];
  /** Deadline of each downstream call. */
  readonly hopDeadlineMs: number;
}

/** A running no-op hop. */
export interface NoopHop {
  readonly port: number;
  readonly pid: number;
  stop(): void;
}

/** One downstream call of a hop: its method, the hop that serves it, its request bytes. */
export interface NoopCall {
  readonly path: string;
  readonly hop: NoopHop;
  readonly request: Uint8Array;
}

/** Starts a no-op hop serving `path` with `answer`, calling `downstream` first (in order). */
export async function startNoopHop(o: {
  readonly path: string;
  readonly answer: Uint8Array;
  readonly downstream?: readonly NoopCall[];
  readonly hopDeadlineMs?: number;
}): Promise<NoopHop> {
  const dir = mkdtempSync(join(tmpdir(), 'noop-hop-'));
  const file = join(dir, 'spec.json');
  const spec: NoopSpec = {
    path: o.path,
    answer: Buffer.from(o.answer).toString('base64'),
    downstream: (o.downstream ?? []).map((d) => ({
      path: d.path,
      address: `127.0.0.1:${d.hop.port}`,
      request: Buffer.from(d.request).toString('base64'),
    })),
    hopDeadlineMs: o.hopDeadlineMs ?? 1000,
  };
  writeFileSync(file, JSON.stringify(spec));
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'noop-hop-server.js')], {
    env: { ...process.env, NOOP_SPEC: file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /NOOP_PORT=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`no-op hop ${o.path} exited (${code})`)));
    });
    return { port, pid: child.pid!, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
