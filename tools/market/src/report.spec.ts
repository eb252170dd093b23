import { renderHtml, renderTable, type MarketReport } from './report';

const T0 = Date.UTC(2025, 10, 10);
const report: MarketReport = {
  title: 'Two arms <&>',
  currency: 'EUR',
  startMs: T0,
  columns: [
    { key: 'profit', label: 'profit', format: 'money' },
    { key: 'lift', label: 'lift', format: 'percent' },
  ],
  charts: [
    {
      key: 'spend',
      title: 'Spend',
      format: 'money',
      reference: {
        label: 'plan',
        points: [0, 1, 2].map((h) => ({ tMs: T0 + h * 3_600_000, value: h * 1000 })),
      },
    },
  ],
  arms: ['live-bandit', 'oracle'].map((name, i) => ({
    name,
    totals: { profit: 123456 * (i + 1), lift: { value: 0.05, lo: 0.01, hi: 0.09 } },
    series: {
      spend: [0, 1, 2].map((h) => ({ tMs: T0 + h * 3_600_000, value: h * 900 * (i + 1) })),
    },
  })),
};

describe('the report', () => {
  it('prints one table row per arm with money in major units and intervals in brackets', () => {
    const text = renderTable(report);
    expect(text).toContain('profit (EUR)');
    expect(text).toMatch(/live-bandit\s+1,234\.56\s+5\.00% \[1\.00%, 9\.00%\]/);
    expect(text).toMatch(/oracle\s+2,469\.12/);
  });

  it('renders a self-contained HTML page with an inline SVG line per arm and the reference', () => {
    const html = renderHtml(report);
    expect(html).toContain('<svg');
    expect((html.match(/<path /g) ?? []).length).toBe(3);
    expect(html).toContain('Two arms &#60;&#38;&#62;');
    expect(html).not.toMatch(/<script|<link|\bsrc=|\bhref=|url\(/);
  });
});
