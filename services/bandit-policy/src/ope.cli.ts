#!/usr/bin/env node
/**
 * offerstream-ope: off-policy evaluation of decision policies on the logged decisions.
 *
 *   offerstream-ope --policy epsilon_greedy:epsilon=0.1 --policy thompson_beta --since 7d
 *                   [--until now] [--shop ID] [--campaign ID] [--history 30d]
 *                   [--gate POLICY] [--require-better] [--min-ess 100] [--out DIR]
 *
 * Reads ClickHouse through the CLICKHOUSE_* variables. Prints a table; with --out, also
 * writes report.html and report.txt. With --gate, exits 1 unless that policy is at least as
 * good as the logging (production) policy on these logs (--require-better: strictly better).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clickhouseOptionsFrom, clickhouseVars, createClickHouse } from '@offerstream/clickhouse';
import { loadConfig } from '@offerstream/config';
import { PosteriorStore } from './learning/posterior-store.service';
import { RewardsRepository } from './learning/rewards.repository';
import {
  comparison,
  crossFitRewardModel,
  describeLogs,
  estimateAll,
  gate,
  renderOpeHtml,
  renderOpeText,
  type OpeReport,
  type PolicyReport,
} from './ope';
import { parsePolicy, toLoggedDecisions } from './ope/ope-evaluation';
import { OpeLogsRepository } from './ope/ope-logs.repository';
import { seededRng } from './policy/rng';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "7d", "12h", "30m", an ISO time, or "now". */
export function parseTime(v: string, nowMs: number): number {
  if (v === 'now') return nowMs;
  const m = /^(\d+)([smhd])$/.exec(v);
  if (m) return nowMs - Number(m[1]) * UNITS[m[2]!]!;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new Error(
      `not a time or duration: ${JSON.stringify(v)} (e.g. 7d, 12h, 2026-11-01T00:00:00Z)`,
    );
  return t;
}

interface Args {
  policies: string[];
  since: string;
  until: string;
  history: string;
  shop?: string;
  campaign?: string;
  gate?: string;
  requireBetter: boolean;
  minEss: number;
  out?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    policies: [],
    since: '7d',
    until: 'now',
    history: '30d',
    requireBetter: false,
    minEss: 100,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i] ?? '';
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    switch (k) {
      case '--policy':
        a.policies.push(v());
        break;
      case '--since':
        a.since = v();
        break;
      case '--until':
        a.until = v();
        break;
      case '--history':
        a.history = v();
        break;
      case '--shop':
        a.shop = v();
        break;
      case '--campaign':
        a.campaign = v();
        break;
      case '--gate':
        a.gate = v();
        break;
      case '--require-better':
        a.requireBetter = true;
        break;
      case '--min-ess':
        a.minEss = Number(v());
        break;
      case '--out':
        a.out = v();
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'usage: offerstream-ope --policy SPEC [--policy SPEC ...] [--since 7d] [--until now] [--history 30d]\n' +
            '       [--shop ID] [--campaign ID] [--gate SPEC [--require-better] [--min-ess N]] [--out DIR]\n' +
            'SPEC: thompson_beta | linear_thompson:v=1 | lin_ucb:alpha=1 | epsilon_greedy:epsilon=0.05 |\n' +
            '      square_cb:gamma=100 | fixed_rule | none (never show an offer) | logging (production)\n',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(k)} (see --help)`);
    }
  }
  if (a.gate && !a.policies.includes(a.gate)) a.policies.push(a.gate);
  if (a.policies.length === 0) a.policies.push('logging', 'none');
  return a;
}

/** Runs an evaluation and returns the report and, with a gate, its verdict. */
export async function runOpe(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  nowMs = Date.now(),
): Promise<{ report: OpeReport; text: string; html: string; gatePassed: boolean | undefined }> {
  const args = parseArgs(argv);
  const cfg = loadConfig(clickhouseVars, env);
  const ch = createClickHouse(clickhouseOptionsFrom(cfg, 'offerstream-ope'));
  try {
    const fromMs = parseTime(args.since, nowMs);
    const untilMs = parseTime(args.until, nowMs);
    const historyMs = parseTime(args.history, fromMs);
    // What the learning policies knew when the evaluation window began.
    const posteriors = new PosteriorStore();
    for (const r of await new RewardsRepository(ch).latestSince(historyMs))
      if (r.servedAtMs < fromMs) posteriors.learn({ ...r, x: r.x });
    const contexts = await new OpeLogsRepository(ch).load({
      fromMs,
      untilMs,
      ...(args.shop ? { shopId: args.shop } : {}),
      ...(args.campaign ? { campaignId: args.campaign } : {}),
    });
    if (contexts.length === 0)
      throw new Error(
        'no logged decisions with final rewards in the window (widen --since, or wait for attribution)',
      );
    const logging = crossFitRewardModel(
      toLoggedDecisions(contexts, parsePolicy('logging'), (shop) => posteriors.forShop(shop)),
    );
    const reports: PolicyReport[] = [];
    let gatePassed: boolean | undefined;
    for (const spec of args.policies) {
      const target = crossFitRewardModel(
        toLoggedDecisions(contexts, parsePolicy(spec), (shop) => posteriors.forShop(shop)),
      );
      const estimates = estimateAll(target, { rng: seededRng(7) }).filter(
        (e) => e.estimator !== 'on_policy',
      );
      const versus = comparison(target, logging);
      let verdict;
      if (spec === args.gate) {
        verdict = gate({
          candidate: target,
          production: logging,
          minEffectiveSampleSize: args.minEss,
          requireCiAboveZero: args.requireBetter,
        });
        gatePassed = verdict.pass;
      }
      reports.push({
        policy: spec,
        estimates,
        versusProduction: versus,
        ...(verdict ? { gate: verdict } : {}),
      });
    }
    const report: OpeReport = {
      title: `${contexts.length} decisions, ${new Date(fromMs).toISOString()} – ${new Date(untilMs).toISOString()}`,
      logging: describeLogs(logging),
      policies: reports,
      rewardUnit: 'reward per decision (the campaigns’ objective; money in minor units)',
      notes: [
        `posteriors of learning policies: rewards served ${new Date(historyMs).toISOString()} – window start`,
        'slot 1 of each decision; actions = its eligible offers and "no offer"',
      ],
    };
    return { report, text: renderOpeText(report), html: renderOpeHtml(report), gatePassed };
  } finally {
    await ch.close();
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;
  runOpe(argv, process.env).then(
    ({ text, html, gatePassed }) => {
      process.stdout.write(`${text}\n`);
      if (out) {
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'report.html'), html);
        writeFileSync(join(out, 'report.txt'), text);
        process.stdout.write(`report: ${join(out, 'report.html')}\n`);
      }
      if (gatePassed === false) {
        process.stderr.write('gate: FAILED (see the table)\n');
        process.exit(1);
      }
    },
    (err: unknown) => {
      process.stderr.write(
        `offerstream-ope: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exit(2);
    },
  );
}
