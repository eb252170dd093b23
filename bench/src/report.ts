/** Percentile of a sorted-ascending array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Prints a table, then the figures as the last line: `key=value key=value`. */
export function printReport(
  title: string,
  rows: (string | number)[][],
  figures: Record<string, number>,
): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  process.stdout.write(`\n${title}\n`);
  for (const r of rows) {
    process.stdout.write(
      '  ' +
        r
          .map((c, i) =>
            typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!),
          )
          .join('  ') +
        '\n',
    );
  }
  process.stdout.write(
    Object.entries(figures)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
      .join(' ') + '\n',
  );
}
