import { comparison, describeLogs, estimateAll, gate } from './estimators';
import {
  BETTER_POLICY,
  LOGGING_POLICY,
  retarget,
  seededRng,
  simulateLogs,
} from './ope-simulation.fixture';
import { renderOpeHtml, renderOpeText, type OpeReport } from './ope-report';
import { type Estimate } from './ope.types';

function makeReport(): OpeReport {
  const base = simulateLogs(3_000, seededRng(4), { oracleRewardModel: true });
  const production = retarget(base, LOGGING_POLICY);
  const candidate = retarget(base, BETTER_POLICY);
  return {
    title: 'promotions, week 47',
    rewardUnit: 'incremental profit per decision, cents',
    notes: ['logs 2025-11-17 to 2025-11-23'],
    logging: describeLogs(base),
    policies: [
      {
        policy: 'candidate <v2>',
        estimates: estimateAll(candidate),
        versusProduction: comparison(candidate, production),
        gate: gate({
          candidate,
          production,
          minEffectiveSampleSize: 100_000,
          requireCiAboveZero: true,
        }),
      },
      { policy: 'production', estimates: estimateAll(production) },
    ],
  };
}

const REPORT = makeReport();

describe('renderOpeText', () => {
  const text = renderOpeText(REPORT);
  const lines = text.split('\n');

  it('lists every policy with each target estimator, leaving the on-policy rows to the header', () => {
    for (const policy of ['candidate <v2>', 'production']) {
      for (const label of ['IPS', 'SNIPS', 'DR']) {
        expect(lines.some((l) => l.startsWith(policy) && l.includes(` ${label} `))).toBe(true);
      }
    }
    expect(text).not.toMatch(/on-policy\s+\d/);
    expect(text).toContain(`logs: 3000 decisions`);
  });

  it('aligns the estimate table so every row ends in the same column', () => {
    const start = lines.findIndex((l) => l.startsWith('policy'));
    const block = lines.slice(start, start + 2 + 6);
    expect(new Set(block.map((l) => l.length)).size).toBe(1);
    const valueEnd = block[0]!.indexOf('value') + 'value'.length;
    for (const row of block.slice(2)) expect(row[valueEnd - 1]).toMatch(/\d/);
  });

  it('shows the paired comparison, the gate verdict and why it failed', () => {
    expect(text).toMatch(/candidate <v2>\s+DR\s+\+\d/);
    expect(text).toContain('FAIL');
    expect(text).toMatch(/candidate <v2>: candidate's effective sample size .* is below 100000/);
  });

  it('writes n/a for an undefined estimate instead of NaN', () => {
    const nan: Estimate = { ...REPORT.policies[1]!.estimates[2]!, value: NaN, ci: [NaN, NaN] };
    const out = renderOpeText({ ...REPORT, policies: [{ policy: 'p', estimates: [nan] }] });
    expect(out).toContain('n/a');
    expect(out).not.toContain('NaN');
  });
});

describe('renderOpeHtml', () => {
  const html = renderOpeHtml(REPORT);

  it('is a self-contained page: no scripts, stylesheets or anything else fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|@import|url\(/i);
  });

  it('draws one whisker per estimate inside an inline SVG', () => {
    expect(html).toMatch(/<svg[^>]*>[\s\S]*<\/svg>/);
    expect(html.match(/class="whisker"/g)).toHaveLength(6);
  });

  it('places a larger estimate further right', () => {
    const cx = [...html.matchAll(/<title>([^<]*)<\/title>[^]*?<circle cx="([\d.]+)"/g)].map(
      (m) => [m[1]!, Number(m[2])] as const,
    );
    const at = (prefix: string): number => cx.find(([t]) => t.startsWith(prefix))![1];
    const candidate = REPORT.policies[0]!.estimates.find((e) => e.estimator === 'dr')!.value;
    const production = REPORT.policies[1]!.estimates.find((e) => e.estimator === 'dr')!.value;
    expect(candidate).toBeGreaterThan(production);
    expect(at('candidate &lt;v2&gt; · DR')).toBeGreaterThan(at('production · DR'));
  });

  it('escapes policy names', () => {
    expect(html).not.toContain('<v2>');
    expect(html).toContain('candidate &lt;v2&gt;');
  });

  it('explains how to read the estimators and the effective sample size', () => {
    expect(html).toContain('How to read this');
    for (const term of ['IPS', 'SNIPS', 'DR', 'ESS', 'effective sample size']) {
      expect(html).toContain(term);
    }
  });

  it('marks the gate verdict', () => {
    expect(html).toContain('<td class="fail">FAIL</td>');
  });
});
