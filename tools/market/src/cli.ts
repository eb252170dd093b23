#!/usr/bin/env node
/**
 * The market simulator's command line (see README.md):
 *
 *   node tools/market/dist/cli.js run [--scenario double-11] [--seed N] [--users N] [--live-equivalent] [--html F] [--json F]
 *   node tools/market/dist/cli.js dataset [--scenario double-11] [--seed N] [--users N] [--end-ms MS] --out F
 *   node tools/market/dist/cli.js scenarios
 *   node tools/market/dist/cli.js validate FILE
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exportDataset } from './dataset';
import { liveEquivalent } from './live';
import { compareArms, comparisonReport } from './offline-runner';
import { renderHtml, renderTable } from './report';
import {
  DEFAULT_SCENARIO,
  loadScenario,
  ScenarioError,
  scenarioNames,
  withOverrides,
} from './scenario';

const USAGE = `usage: offerstream-market <command> [options]

commands:
  run        compare the arms (no promotion, random offer, blanket 10 %, rule-based, oracle)
             in-process on one scenario; prints a table
  dataset    run the scenario under a uniform-random logging policy and write the trainer's
             dataset as JSON lines {"table": ..., "row": {...}}
  scenarios  list the shipped scenarios (each is validated)
  validate   validate a scenario file: validate FILE

options:
  --scenario NAME|PATH  shipped scenario name or a .json path (default ${DEFAULT_SCENARIO})
  --seed N              override the scenario's seed
  --users N             override the scenario's user count
  --end-ms MS           dataset: simulated end, epoch ms (default now)
  --out FILE            dataset: output file (required)
  --live-equivalent     run: the campaigns as a live run (make demo) has them — total budget
                        only, per-day caps as lifetime caps, budgets scaled to --users
  --html FILE           run: also write a self-contained HTML report
  --json FILE           run: also write the comparison as JSON
`;

class UsageError extends Error {}

function intOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

function main(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      'end-ms': { type: 'string' },
      out: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'string' },
      'live-equivalent': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const scenario = () =>
    withOverrides(loadScenario(values.scenario ?? DEFAULT_SCENARIO), {
      seed: intOption(values.seed, 'seed'),
      users: intOption(values.users, 'users'),
    });
  switch (command) {
    case 'run': {
      let s = scenario();
      if (values['live-equivalent']) {
        const eq = liveEquivalent(loadScenario(values.scenario ?? DEFAULT_SCENARIO), s.users.count);
        s = { ...eq.scenario, seed: s.seed };
        for (const n of eq.notes) process.stdout.write(`${n}\n`);
      }
      const comparison = compareArms({ scenario: s });
      const report = comparisonReport(comparison);
      process.stdout.write(renderTable(report));
      if (values.html) writeFileSync(values.html, renderHtml(report));
      if (values.json) writeFileSync(values.json, JSON.stringify(comparison, null, 2));
      return 0;
    }
    case 'dataset': {
      if (!values.out) throw new UsageError('dataset needs --out FILE');
      const endMs = intOption(values['end-ms'], 'end-ms') ?? Date.now();
      const fd = openSync(values.out, 'w');
      let buffer = '';
      try {
        const summary = exportDataset({ scenario: scenario(), endMs }, (row) => {
          buffer += JSON.stringify(row) + '\n';
          if (buffer.length > 1 << 20) {
            writeSync(fd, buffer);
            buffer = '';
          }
        });
        writeSync(fd, buffer);
        process.stdout.write(
          `wrote ${values.out}: ${summary.events} events, ${summary.decisions} decisions, ` +
            `${summary.decision_candidates} candidates, ${summary.rewards} rewards, ${summary.truth} truth rows ` +
            `(${new Date(summary.startMs).toISOString()} .. ${new Date(summary.endMs).toISOString()})\n`,
        );
      } finally {
        closeSync(fd);
      }
      return 0;
    }
    case 'scenarios':
      for (const name of scenarioNames()) {
        const s = loadScenario(name);
        process.stdout.write(
          `${name.padEnd(20)} ${s.users.count} users, ${s.durationMs / 3_600_000} h: ${s.description}\n`,
        );
      }
      return 0;
    case 'validate': {
      const file = rest[0];
      if (!file) throw new UsageError('validate needs a FILE');
      loadScenario(file);
      process.stdout.write(`${file}: valid\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (
    e instanceof UsageError ||
    e instanceof ScenarioError ||
    (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
  ) {
    process.stderr.write(
      `${(e as Error).message}\n${e instanceof ScenarioError ? '' : `\n${USAGE}`}`,
    );
    process.exitCode = 2;
  } else {
    throw e;
  }
}
