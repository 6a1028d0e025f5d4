import type { StatsCount, StatsReport } from '../../common/protocol/sealed-stats-report.js';

/**
 * A stats job's tables as `hefl job status` prints them, per stratum: records, label
 * positives, numeric columns (n, mean, sd), frequency tables, histograms with quartiles and
 * cross-tabulations. A count some sites suppressed is marked `*k` (k sites held 1..minCellSize-1
 * records there and sent 0).
 */
export function formatStatsReport(report: StatsReport): string[] {
  const lines = [
    'statistics (totals over all sites; *k = suppressed at k site(s), below their minimum cell size):',
  ];
  for (const s of report.strata) {
    lines.push(`  stratum ${s.stratum}: records ${cell(s.records)}, label positive ${cell(s.positives)}`);
    for (const n of s.numeric)
      lines.push(
        `    ${n.column}: n ${n.n}${n.suppressedAt ? ` *${n.suppressedAt}` : ''}, mean ${fmt(n.mean)}, sd ${fmt(n.sd)}`,
      );
    for (const c of s.categories)
      lines.push(`    ${c.column}: ${c.cells.map((x) => `${x.level} ${cell(x)}`).join(', ')}`);
    for (const h of s.histograms) {
      const labels = h.bins.map((_, k) =>
        k === 0
          ? `<${h.edges[0]}`
          : k === h.edges.length
            ? `>=${h.edges[k - 1]}`
            : `[${h.edges[k - 1]},${h.edges[k]})`,
      );
      lines.push(`    ${h.column} histogram: ${h.bins.map((b, k) => `${labels[k]} ${cell(b)}`).join(', ')}`);
      lines.push(
        `    ${h.column} quartiles (within-bin interpolation): ${h.quartiles
          .map((q) => `q${q.q} ${q.value === null ? q.bound : fmt(q.value)}`)
          .join(', ')}`,
      );
    }
    for (const t of s.crossTabs) {
      lines.push(`    ${t.rows} x ${t.columns}: columns ${t.columnLevels.join(' | ')}`);
      t.cells.forEach((row, i) => {
        lines.push(`      ${t.rowLevels[i]}: ${row.map(cell).join(' | ')}`);
      });
    }
  }
  return lines;
}

function cell(c: StatsCount): string {
  return c.suppressedAt > 0 ? `${c.count} *${c.suppressedAt}` : String(c.count);
}

function fmt(x: number | null): string {
  return x === null ? '-' : Number(x.toPrecision(8)).toString();
}
