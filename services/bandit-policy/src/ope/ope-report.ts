/**
 * Renders OPE results for people: an aligned plain-text table for the terminal and a
 * self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched).
 */
import {
  type Comparison,
  type Estimate,
  type EstimatorKind,
  type GateResult,
  type LoggingStats,
} from './ope.types';

/** One target policy's results. */
export interface PolicyReport {
  readonly policy: string;
  /** Its estimates; `on_policy` ones are left out (the logging policy's value is in `logging`). */
  readonly estimates: readonly Estimate[];
  /** V(policy) − V(production), when it was compared. */
  readonly versusProduction?: Comparison;
  /** The gate's verdict on it, when it was gated. */
  readonly gate?: GateResult;
}

/** A result set: several target policies evaluated on the same logs. */
export interface OpeReport {
  readonly title: string;
  readonly logging: LoggingStats;
  readonly policies: readonly PolicyReport[];
  /** What the reward measures, e.g. "incremental profit per decision, EUR cents". */
  readonly rewardUnit?: string;
  /** Free lines shown under the title: log window, generation time (the caller's clock), … */
  readonly notes?: readonly string[];
}

const ESTIMATOR_LABEL: Readonly<Record<EstimatorKind, string>> = {
  ips: 'IPS',
  snips: 'SNIPS',
  dr: 'DR',
  on_policy: 'on-policy',
};

const ESTIMATOR_COLOUR: Readonly<Record<EstimatorKind, string>> = {
  ips: '#d95f02',
  snips: '#7570b3',
  dr: '#1b9e77',
  on_policy: '#666666',
};

/** The report as an aligned plain-text table. */
export function renderOpeText(report: OpeReport): string {
  const f = numberFormat(report);
  const log = report.logging;
  const lines = [`OPE: ${report.title}`, ...(report.notes ?? [])];
  if (report.rewardUnit !== undefined) lines.push(`reward: ${report.rewardUnit}`);
  lines.push(
    `logs: ${log.n} decisions, logging policy's own value ${f.value(log.onPolicyValue)}, ` +
      `propensity < ${log.lowPropensityThreshold}: ${percent(log.lowPropensityShare)}, ` +
      `min propensity ${log.minPropensity.toPrecision(3)}`,
    '',
    ...table(
      ['policy', 'estimator', 'value', 'std err', ciHeader(report), 'ESS', 'max w', 'clipped'],
      estimateRows(report).map(({ policy, e }) => [
        policy,
        ESTIMATOR_LABEL[e.estimator],
        f.value(e.value),
        f.value(e.stdError),
        f.ci(e.ci),
        Math.round(e.effectiveSampleSize).toString(),
        e.maxWeight.toFixed(2),
        e.clippedShare === undefined ? '-' : percent(e.clippedShare),
      ]),
      'llrrrrrr',
    ),
  );
  const compared = comparedRows(report);
  if (compared.length > 0) {
    lines.push(
      '',
      'versus production (paired difference):',
      ...table(
        ['policy', 'estimator', 'difference', ciHeader(report), 'gate'],
        compared.map(({ policy, c, gate }) => [
          policy,
          ESTIMATOR_LABEL[c.estimator],
          f.signed(c.difference),
          f.ci(c.ci),
          gateLabel(gate),
        ]),
        'llrrl',
      ),
    );
    for (const { policy, gate } of compared) {
      for (const reason of gate?.reasons ?? []) lines.push(`  ${policy}: ${reason}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The report as one self-contained HTML page with a chart of every estimate and its CI. */
export function renderOpeHtml(report: OpeReport): string {
  const f = numberFormat(report);
  const log = report.logging;
  const rows = estimateRows(report);
  const compared = comparedRows(report);
  const estimateTable = htmlTable(
    ['policy', 'estimator', 'value', 'std err', ciHeader(report), 'ESS', 'max w', 'clipped'],
    rows.map(({ policy, e }) => [
      policy,
      ESTIMATOR_LABEL[e.estimator],
      f.value(e.value),
      f.value(e.stdError),
      f.ci(e.ci),
      Math.round(e.effectiveSampleSize).toString(),
      e.maxWeight.toFixed(2),
      e.clippedShare === undefined ? '-' : percent(e.clippedShare),
    ]),
    'llrrrrrr',
  );
  const comparisonTable =
    compared.length === 0
      ? ''
      : `<h2>Versus production</h2>
<p>Paired difference V(policy) − V(production) on the same logs.</p>
${htmlTable(
  ['policy', 'estimator', 'difference', ciHeader(report), 'gate', 'reasons'],
  compared.map(({ policy, c, gate }) => [
    policy,
    ESTIMATOR_LABEL[c.estimator],
    f.signed(c.difference),
    f.ci(c.ci),
    gateLabel(gate),
    (gate?.reasons ?? []).join('; '),
  ]),
  'llrrll',
)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>OPE: ${esc(report.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 960px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #1b7a3a; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; }
.notes, .stats { color: #555; } .howto { background: #f6f7f9; padding: .6em 1em; border-radius: 4px; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
</style>
</head>
<body>
<h1>OPE: ${esc(report.title)}</h1>
${(report.notes ?? []).map((n) => `<p class="notes">${esc(n)}</p>`).join('\n')}
<p class="stats">${esc(
    `${log.n} logged decisions; the logging policy's own value ${f.value(log.onPolicyValue)}` +
      (report.rewardUnit === undefined ? '' : ` (${report.rewardUnit})`) +
      `; ${percent(log.lowPropensityShare)} of decisions with propensity < ${log.lowPropensityThreshold}` +
      `; smallest propensity ${log.minPropensity.toPrecision(3)}.`,
  )}</p>
<h2>Estimated value per decision</h2>
${chart(report, f)}
${estimateTable}
${comparisonTable}
<h2>How to read this</h2>
<div class="howto">
<p>Each row estimates the mean reward per decision a policy <em>would</em> have earned on the
logged traffic, from decisions the logging policy made. <strong>IPS</strong> (inverse propensity
scoring) re-weights each logged reward by w = π(a|x)/μ(a|x), how much more (or less) often the
target policy would have taken the logged action; it is unbiased but noisy when weights are large.
<strong>SNIPS</strong> divides by the sum of the weights instead of n, which tames large weights
at the price of a small bias. <strong>DR</strong> (doubly robust) starts from a reward model's
prediction for the target policy and uses the weights only to correct the model's error on the
logged action, so it is right if either the propensities or the model are, and has the least
noise when the model is good. When the maximum weight is large, prefer SNIPS and DR; when they
disagree with IPS, distrust the IPS figure.</p>
<p><strong>ESS</strong> (effective sample size, (Σw)²/Σw²) is roughly how many logged decisions
the estimate is really worth: far below the number of decisions means the target policy acts
where the logs rarely went, and the interval, though honest on average, rests on few decisions.
<strong>Clipped</strong> is the share of weights capped by weight clipping, which biases the
estimate (towards zero for positive rewards) in exchange for less noise. Whiskers are
${esc(levelLabel(report))} confidence intervals; the dashed line is the logging policy's own value.
A candidate is better than production only if the interval of the <em>paired difference</em>
lies above zero: two overlapping intervals of the values alone do not settle it either way.</p>
</div>
</body>
</html>
`;
}

interface NumberFormat {
  value(x: number): string;
  signed(x: number): string;
  ci(ci: readonly [number, number]): string;
}

/** One number of decimals for the whole report, enough to show the smallest standard error to ~2 digits. */
function numberFormat(report: OpeReport): NumberFormat {
  const errors = report.policies
    .flatMap((p) => [...p.estimates, ...(p.versusProduction ? [p.versusProduction] : [])])
    .map((e) => e.stdError)
    .filter((s) => Number.isFinite(s) && s > 0);
  const smallest = errors.length > 0 ? Math.min(...errors) : 1;
  const decimals = Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(smallest))));
  const value = (x: number): string => (Number.isFinite(x) ? x.toFixed(decimals) : na(x));
  return {
    value,
    signed: (x) => (x > 0 ? `+${value(x)}` : value(x)),
    ci: ([lo, hi]) => `[${value(lo)}, ${value(hi)}]`,
  };
}

function na(x: number): string {
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  return 'n/a';
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function levelLabel(report: OpeReport): string {
  const level = report.policies.flatMap((p) => p.estimates)[0]?.confidenceLevel ?? 0.95;
  return `${Number((level * 100).toFixed(1))}%`;
}

function ciHeader(report: OpeReport): string {
  return `${levelLabel(report)} CI`;
}

function comparedRows(
  report: OpeReport,
): { policy: string; c: Comparison; gate: GateResult | undefined }[] {
  return report.policies.flatMap((p) =>
    p.versusProduction === undefined
      ? []
      : [{ policy: p.policy, c: p.versusProduction, gate: p.gate }],
  );
}

function gateLabel(gate: GateResult | undefined): string {
  if (gate === undefined) return '-';
  return gate.pass ? 'PASS' : 'FAIL';
}

function estimateRows(report: OpeReport): { policy: string; e: Estimate }[] {
  return report.policies.flatMap((p) =>
    p.estimates.filter((e) => e.estimator !== 'on_policy').map((e) => ({ policy: p.policy, e })),
  );
}

/** Rows padded to column widths; `align` has one 'l' or 'r' per column. */
function table(header: readonly string[], rows: readonly string[][], align: string): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, j) => (align[j] === 'r' ? c.padStart(widths[j] ?? 0) : c.padEnd(widths[j] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function htmlTable(header: readonly string[], rows: readonly string[][], align: string): string {
  const cell = (c: string, j: number): string => {
    if (c === 'PASS' || c === 'FAIL') return `<td class="${c.toLowerCase()}">${c}</td>`;
    return align[j] === 'r' ? `<td class="num">${esc(c)}</td>` : `<td>${esc(c)}</td>`;
  };
  return `<table>
<thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}
</tbody>
</table>`;
}

const CHART = { width: 760, left: 190, right: 24, top: 28, row: 22, gap: 10, axis: 34 } as const;

/** A forest plot: one row per policy × estimator, a dot at the value, whiskers to the CI. */
function chart(report: OpeReport, f: NumberFormat): string {
  const groups = report.policies
    .map((p) => ({
      policy: p.policy,
      rows: p.estimates.filter((e) => e.estimator !== 'on_policy'),
    }))
    .filter((g) => g.rows.length > 0);
  const reference = report.logging.onPolicyValue;
  const finite = [reference];
  for (const g of groups) {
    for (const e of g.rows) finite.push(...[e.value, e.ci[0], e.ci[1]].filter(Number.isFinite));
  }
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-12) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  [lo, hi] = [lo - pad, hi + pad];
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const x = (v: number): number =>
    CHART.left + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * plotWidth;
  const rowCount = groups.reduce((s, g) => s + g.rows.length, 0);
  const plotBottom = CHART.top + rowCount * CHART.row + Math.max(0, groups.length - 1) * CHART.gap;
  const height = plotBottom + CHART.axis;

  const parts: string[] = [];
  let y = CHART.top;
  for (const g of groups) {
    for (const e of g.rows) {
      const cy = y + CHART.row / 2;
      const colour = ESTIMATOR_COLOUR[e.estimator];
      const label = `${g.policy} · ${ESTIMATOR_LABEL[e.estimator]}`;
      const tip = `${label}: ${f.value(e.value)} ${f.ci(e.ci)}`;
      parts.push(
        `<text x="${CHART.left - 8}" y="${cy + 4}" text-anchor="end">${esc(label)}</text>`,
      );
      if (Number.isFinite(e.value)) {
        parts.push(
          `<g class="estimate"><title>${esc(tip)}</title>` +
            `<line class="whisker" x1="${r(x(e.ci[0]))}" x2="${r(x(e.ci[1]))}" y1="${cy}" y2="${cy}" stroke="${colour}" stroke-width="2"/>` +
            `<line x1="${r(x(e.ci[0]))}" x2="${r(x(e.ci[0]))}" y1="${cy - 5}" y2="${cy + 5}" stroke="${colour}" stroke-width="2"/>` +
            `<line x1="${r(x(e.ci[1]))}" x2="${r(x(e.ci[1]))}" y1="${cy - 5}" y2="${cy + 5}" stroke="${colour}" stroke-width="2"/>` +
            `<circle cx="${r(x(e.value))}" cy="${cy}" r="4" fill="${colour}"/></g>`,
        );
      } else {
        parts.push(`<text x="${CHART.left + 4}" y="${cy + 4}">n/a</text>`);
      }
      y += CHART.row;
    }
    y += CHART.gap;
  }
  const axis: string[] = [
    `<line x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#999"/>`,
  ];
  for (const t of ticks(lo, hi)) {
    axis.push(
      `<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${CHART.top}" y2="${plotBottom + 4}" stroke="#eee"/>`,
      `<text x="${r(x(t))}" y="${plotBottom + 18}" text-anchor="middle">${esc(tickLabel(t))}</text>`,
    );
  }
  axis.push(
    `<line x1="${r(x(reference))}" x2="${r(x(reference))}" y1="${CHART.top - 6}" y2="${plotBottom}" stroke="#666" stroke-dasharray="4 3"><title>logging policy: ${esc(f.value(reference))}</title></line>`,
    `<text x="${r(x(reference))}" y="${CHART.top - 10}" text-anchor="middle">logging policy</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART.width}" height="${height}" viewBox="0 0 ${CHART.width} ${height}" role="img" aria-label="Estimated value per decision of each policy, with confidence intervals">
${axis.join('\n')}
${parts.join('\n')}
</svg>`;
}

/** About five round tick values (1, 2 or 5 × 10^k apart) inside [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return out;
}

function tickLabel(t: number): string {
  return String(Number(t.toPrecision(6)));
}

function r(v: number): string {
  return v.toFixed(1);
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
