/** Built services run as child processes for the benchmarks, as they run in production. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the ports from the service's "is serving" log line. */
  readonly serving: Promise<{ grpcPort: number; httpPort: number }>;
  /** warn/error lines the service logged (the first few are echoed to stderr). */
  readonly problems: string[];
  /** The last lines it logged. */
  recent(): string;
  /** The V8 inspector's WebSocket URL (started with inspect: true). */
  inspector(): string | undefined;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
let guarded = false;

/** Never leave services behind, whatever ends the bench. */
function guard(): void {
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
}

/**
 * Starts services/<name>/dist/main.js with `env` (ports 0, info logs for the ports line).
 * `nodeArgs` go before the script (e.g. --max-old-space-size, --cpu-prof); `inspect` opens
 * the V8 inspector on a random loopback port (to force a GC before reading memory).
 */
export function startService(
  name: string,
  label: string,
  env: Record<string, string>,
  opts: { inspect?: boolean; nodeArgs?: readonly string[] } = {},
): ServiceProcess {
  guard();
  const nodeArgs = [...(opts.nodeArgs ?? [])];
  if (process.env.BENCH_PROFILE === '1')
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.local', 'prof')}`);
  if (opts.inspect) nodeArgs.push('--inspect=127.0.0.1:0');
  const main = join(ROOT, 'services', name, 'dist', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: ROOT,
    env: {
      ...process.env,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const problems: string[] = [];
  const recent: string[] = [];
  let inspector: string | undefined;
  let resolveServing!: (p: { grpcPort: number; httpPort: number }) => void;
  let rejectServing!: (e: Error) => void;
  const serving = new Promise<{ grpcPort: number; httpPort: number }>((res, rej) => {
    resolveServing = res;
    rejectServing = rej;
  });
  const onLine = (line: string) => {
    if (line.trim() === '') return;
    recent.push(line);
    if (recent.length > 30) recent.shift();
    const ws = /^Debugger listening on (ws:\/\/\S+)/.exec(line);
    if (ws) inspector = ws[1];
    if (/^(Debugger |For help, see)/.test(line)) return;
    let rec: { level?: string; msg?: string; grpcPort?: number; httpPort?: number } = {};
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      rec = { level: 'warn', msg: line };
    }
    if (rec.msg?.endsWith('is serving') && rec.grpcPort && rec.httpPort)
      resolveServing({ grpcPort: rec.grpcPort, httpPort: rec.httpPort });
    if (rec.level === 'warn' || rec.level === 'error' || rec.level === 'fatal') {
      problems.push(line);
      if (problems.length <= 5) process.stderr.write(`  [${label}] ${line.slice(0, 600)}\n`);
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  child.once('exit', (code, signal) =>
    rejectServing(
      new Error(`${label} exited (${code ?? signal}) before serving:\n${recent.join('\n')}`),
    ),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(hard);
  };
  return {
    name: label,
    child,
    serving,
    problems,
    recent: () => recent.join('\n'),
    inspector: () => inspector,
    stop,
  };
}
