/**
 * make bench-market: the market run of `make demo` (tools/demo) with each live phase bounded
 * by BENCH_SECONDS, streamed as it goes; prints the report's table, then — last — key=value
 * figures: profit_vs_oracle (offerstream's best arm's true incremental profit after warm-up
 * over the oracle's) and profit_vs_vw (the same over the Vowpal Wabbit reference's), among
 * others. MARKET_* variables (MARKET_USERS=0 = full size) pass through to the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env, loadConfig } from '@offerstream/config';

const vars = {
  BENCH_SECONDS: env.int({
    doc: 'Real seconds of each live phase of the market run (the simulated hours are compressed into it)',
    default: '120',
    min: 20,
    max: 24 * 3600,
  }),
};

async function main(): Promise<number> {
  const cfg = loadConfig(vars);
  const root = resolve(__dirname, '..', '..');
  const summary = join(mkdtempSync(join(tmpdir(), 'bench-market-')), 'summary.json');
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, [join(root, 'tools', 'demo', 'dist', 'main.js')], {
      cwd: root,
      env: {
        ...process.env,
        MARKET_PHASE_SECONDS: String(cfg.BENCH_SECONDS),
        MARKET_SUMMARY_FILE: summary,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (c) => done(c ?? 1));
  });
  if (code !== 0) {
    process.stdout.write(
      `market run failed (exit ${code})\nprofit_vs_oracle=nan profit_vs_vw=nan\n`,
    );
    return code;
  }
  const s = JSON.parse(readFileSync(summary, 'utf8')) as { line: string; html: string };
  process.stdout.write(`\nmarket bench: report ${s.html}\n${s.line}\n`);
  return 0;
}

main().then(
  (c) => process.exit(c),
  (err: unknown) => {
    process.stderr.write(
      `bench-market failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  },
);
