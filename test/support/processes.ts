import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectEventually } from '@offerstream/testing';
import { REPO_ROOT } from './infra';

/** A built service running as its own process, as it runs in production. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the ports it logged once serving (it was given port 0). */
  serving(timeoutMs?: number): Promise<{ grpcPort: number; httpPort: number }>;
}

export function startBuiltService(name: string, env: Record<string, string>): ServiceProcess {
  const main = join(REPO_ROOT, 'services', name, 'dist', 'main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`make build\` (make test does) first`);
  const child = spawn(process.execPath, [main], {
    cwd: REPO_ROOT,
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
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const serving = (timeoutMs = 30000) =>
    expectEventually(
      () => {
        for (const line of out.split('\n')) {
          if (line.includes('is serving'))
            return JSON.parse(line) as { grpcPort: number; httpPort: number };
        }
        if (child.exitCode !== null) throw new Error(`${name} exited early:\n${out.slice(-2000)}`);
        throw new Error('not serving yet');
      },
      { timeoutMs },
    );
  return { child, output: () => out, exited, serving };
}
