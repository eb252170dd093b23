import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkHealth, listServices } from '@offerstream/grpc';

/** A service process the demo started. */
export interface ServiceProcess {
  readonly name: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly child: ChildProcess;
  readonly logFile: string;
}

export const DEMO_SERVICES = [
  { name: 'ingest', grpcPort: 50051, httpPort: 8081 },
  { name: 'feature', grpcPort: 50052, httpPort: 8082 },
  { name: 'scoring', grpcPort: 50053, httpPort: 8083 },
  { name: 'bandit-policy', grpcPort: 50054, httpPort: 8084 },
] as const;

/** Starts a built service (services/<name>/dist/main.js) with its output in a log file. */
export function startServiceProcess(
  root: string,
  logDir: string,
  s: { name: string; grpcPort: number; httpPort: number },
  env: Record<string, string>,
): ServiceProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${s.name}.log`);
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(process.execPath, [join(root, 'services', s.name, 'dist', 'main.js')], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(s.grpcPort),
      HTTP_PORT: String(s.httpPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return { ...s, child, logFile };
}

/** Waits until the service reports SERVING over grpc.health.v1; fails early if it exits. */
export async function waitServing(p: ServiceProcess, timeoutMs = 30000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (p.child.exitCode !== null)
      throw new Error(`${p.name} exited with ${p.child.exitCode}; see ${p.logFile}`);
    try {
      if ((await checkHealth(`127.0.0.1:${p.grpcPort}`, '', 500)) === 'SERVING')
        return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`${p.name} not SERVING after ${timeoutMs} ms; see ${p.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function describeService(
  p: ServiceProcess,
): Promise<{ services: string[]; ready: boolean; metricsLines: number }> {
  const services = (await listServices(`127.0.0.1:${p.grpcPort}`)).filter(
    (s) => !s.startsWith('grpc.'),
  );
  const ready = (await fetch(`http://127.0.0.1:${p.httpPort}/readyz`)).status === 200;
  const metrics = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
  return {
    services,
    ready,
    metricsLines: metrics.split('\n').filter((l) => l && !l.startsWith('#')).length,
  };
}

/** SIGTERM, then wait for the exit; returns the exit code and how long the shutdown took. */
export async function stopGracefully(
  p: ServiceProcess,
  timeoutMs = 15000,
): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  if (p.child.exitCode !== null) return { code: p.child.exitCode, ms: 0 };
  const exited = new Promise<number | null>((resolve) =>
    p.child.once('exit', (code) => resolve(code)),
  );
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, ms: Date.now() - started };
}

/** Waits until the service reports ready on /readyz (its catalogs and consumers are loaded). */
export async function waitReady(p: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${p.httpPort}/readyz`).catch(() => undefined);
    if (res?.ok) return;
    if (p.child.exitCode !== null)
      throw new Error(`${p.name} exited with ${p.child.exitCode}; see ${p.logFile}`);
    if (Date.now() > until)
      throw new Error(`${p.name} not ready after ${timeoutMs} ms; see ${p.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
