import type { Interval } from './stats.util';
import { HOUR_MS } from './time.util';

/** One point of a time series (simulated epoch ms). */
export interface SeriesPoint {
  readonly tMs: number;
  readonly value: number;
}

/** A total: a plain number, or an estimate with a confidence interval. */
export type Figure = number | Interval;

/** How a value is printed. */
export type ValueFormat = 'money' | 'count' | 'percent' | 'number';

/**
 * One arm of a comparison, in a shape any producer can fill: the offline runner's
 * in-process arms, or (phase 2) arms driven through the live services.
 */
export interface ReportArm {
  readonly name: string;
  /** Totals by column key; a missing key prints as "–". */
  readonly totals: Readonly<Record<string, Figure | undefined>>;
  /** Time series by chart key. */
  readonly series: Readonly<Record<string, readonly SeriesPoint[]>>;
}

/** A column of the totals table. */
export interface ReportColumn {
  readonly key: string;
  readonly label: string;
  readonly format: ValueFormat;
}

/** A chart: one line per arm, plus an optional reference line (e.g. the budget plan). */
export interface ReportChart {
  readonly key: string;
  readonly title: string;
  readonly format: ValueFormat;
  readonly reference?: { readonly label: string; readonly points: readonly SeriesPoint[] };
}

/** A further table over the same arms (other columns), printed after the main one. */
export interface ReportTable {
  readonly title: string;
  readonly columns: readonly ReportColumn[];
}

/** A titled block of text lines (settings, targets, caveats). */
export interface ReportSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** Everything a report shows. */
export interface MarketReport {
  readonly title: string;
  readonly subtitle?: string;
  /** Money columns are minor units of this currency (printed in major units). */
  readonly currency: string;
  /** Charts' x axes count hours from here. */
  readonly startMs: number;
  readonly columns: readonly ReportColumn[];
  readonly charts: readonly ReportChart[];
  readonly arms: readonly ReportArm[];
  readonly notes?: readonly string[];
  /** More tables over the arms, after the main one. */
  readonly tables?: readonly ReportTable[];
  /** Text sections, printed before the tables (e.g. the run's settings and its targets). */
  readonly sections?: readonly ReportSection[];
}

const group = (x: number, digits: number) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function formatValue(v: number, f: ValueFormat): string {
  if (!Number.isFinite(v)) return '–';
  switch (f) {
    case 'money':
      return group(v / 100, 2);
    case 'count':
      return group(Math.round(v), 0);
    case 'percent':
      return `${(v * 100).toFixed(2)}%`;
    case 'number':
      return group(v, 3);
  }
}

/** A figure as text: "12.30" or "12.30 [10.10, 14.50]". */
export function formatFigure(fig: Figure | undefined, f: ValueFormat): string {
  if (fig === undefined) return '–';
  if (typeof fig === 'number') return formatValue(fig, f);
  return `${formatValue(fig.value, f)} [${formatValue(fig.lo, f)}, ${formatValue(fig.hi, f)}]`;
}

function textTable(r: MarketReport, columns: readonly ReportColumn[]): string[] {
  const head = [
    'arm',
    ...columns.map((c) => (c.format === 'money' ? `${c.label} (${r.currency})` : c.label)),
  ];
  const rows = r.arms.map((a) => [
    a.name,
    ...columns.map((c) => formatFigure(a.totals[c.key], c.format)),
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The totals as a plain-text table for the terminal (arms as rows), then any sections and tables. */
export function renderTable(r: MarketReport): string {
  const out = [r.title, ...(r.subtitle ? [r.subtitle] : [])];
  for (const s of r.sections ?? []) out.push('', s.title, ...s.lines.map((l) => `  ${l}`));
  out.push('', ...textTable(r, r.columns));
  for (const t of r.tables ?? []) out.push('', t.title, ...textTable(r, t.columns));
  for (const n of r.notes ?? []) out.push('', n);
  return out.join('\n') + '\n';
}

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round, readable tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

function chartSvg(r: MarketReport, chart: ReportChart): string {
  const W = 760;
  const H = 280;
  const m = { l: 78, r: 150, t: 28, b: 36 };
  const lines = r.arms
    .map((a, i) => ({
      label: a.name,
      color: PALETTE[i % PALETTE.length]!,
      dash: '',
      points: a.series[chart.key] ?? [],
    }))
    .filter((l) => l.points.length > 0);
  if (chart.reference)
    lines.push({
      label: chart.reference.label,
      color: '#777',
      dash: '6 4',
      points: chart.reference.points,
    });
  const all = lines.flatMap((l) => l.points);
  if (all.length === 0) return '';
  const xs = all.map((p) => (p.tMs - r.startMs) / HOUR_MS);
  const ys = all.map((p) => p.value);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(0, ...ys);
  let y1 = Math.max(0, ...ys);
  if (y1 === y0) y1 = y0 + 1;
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const scale = chart.format === 'money' ? 100 : 1;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<text x="${m.l}" y="18" font-size="14" font-weight="bold">${escapeXml(chart.title)}${chart.format === 'money' ? ` (${escapeXml(r.currency)})` : ''}</text>`,
  ];
  for (const tick of ticks(y0 / scale, y1 / scale)) {
    const v = tick === 0 ? 0 : tick; // no "-0" label
    const y = sy(v * scale).toFixed(1);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="${v === 0 ? '#999' : '#e5e5e5'}"/>`,
      `<text x="${m.l - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${escapeXml(group(v, Math.abs(v) < 10 && v % 1 !== 0 ? 1 : 0))}</text>`,
    );
  }
  for (const h of ticks(x0, x1, 8)) {
    const x = sx(h).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#999"/>`,
      `<text x="${x}" y="${H - m.b + 16}" font-size="11" text-anchor="middle">${h}h</text>`,
    );
  }
  parts.push(
    `<text x="${W - m.r}" y="${H - 4}" font-size="11" text-anchor="end">simulated hours</text>`,
  );
  lines.forEach((l, i) => {
    const d = l.points
      .map(
        (p, k) =>
          `${k === 0 ? 'M' : 'L'}${sx((p.tMs - r.startMs) / HOUR_MS).toFixed(1)},${sy(p.value).toFixed(1)}`,
      )
      .join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${l.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''}/>`,
      `<line x1="${W - m.r + 12}" x2="${W - m.r + 32}" y1="${m.t + 8 + i * 18}" y2="${m.t + 8 + i * 18}" stroke="${l.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''}/>`,
      `<text x="${W - m.r + 38}" y="${m.t + 8 + i * 18}" font-size="12" dominant-baseline="middle">${escapeXml(l.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function htmlTable(r: MarketReport, columns: readonly ReportColumn[]): string {
  const th = [
    'arm',
    ...columns.map((c) => (c.format === 'money' ? `${c.label} (${r.currency})` : c.label)),
  ]
    .map((h) => `<th>${escapeXml(h)}</th>`)
    .join('');
  const rows = r.arms
    .map(
      (a) =>
        `<tr><td>${escapeXml(a.name)}</td>${columns
          .map((c) => `<td>${escapeXml(formatFigure(a.totals[c.key], c.format))}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table>
<thead><tr>${th}</tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** A self-contained HTML page (inline CSS and SVG, no external assets) with the tables and charts. */
export function renderHtml(r: MarketReport): string {
  const charts = r.charts.map((c) => chartSvg(r, c)).filter((s) => s !== '');
  const sections = (r.sections ?? [])
    .map(
      (s) =>
        `<h2>${escapeXml(s.title)}</h2>\n<ul>\n${s.lines.map((l) => `<li>${escapeXml(l)}</li>`).join('\n')}\n</ul>`,
    )
    .join('\n');
  const tables = (r.tables ?? [])
    .map((t) => `<h2>${escapeXml(t.title)}</h2>\n${htmlTable(r, t.columns)}`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(r.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; }
h2 { font-size: 16px; margin-top: 1.5em; }
li { font-size: 13px; max-width: 70em; }
svg { display: block; margin: 1.5em 0; font-family: system-ui, sans-serif; }
p.note { color: #555; font-size: 13px; max-width: 60em; }
</style>
</head>
<body>
<h1>${escapeXml(r.title)}</h1>
${r.subtitle ? `<p>${escapeXml(r.subtitle)}</p>` : ''}
${sections}
${htmlTable(r, r.columns)}
${tables}
${(r.notes ?? []).map((n) => `<p class="note">${escapeXml(n)}</p>`).join('\n')}
${charts.join('\n')}
</body>
</html>
`;
}
