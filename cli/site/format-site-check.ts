import type { SiteDataCheck } from '../../client-node/index.js';

/**
 * The readable report of `hefl site check`, for the site's own operator (it shows value
 * ranges; it is never sent anywhere). One line per column, then the problems.
 */
export function formatSiteCheck(check: SiteDataCheck, against: string): string {
  const lines = [`${check.source}: ${check.rowsRead} rows read, ${check.rowsUsable} usable (${against})`];
  if (check.label) {
    const { column, positive, negative } = check.label;
    lines.push(`label '${column}': ${positive} positive, ${negative} negative`);
  }
  for (const c of check.columns) {
    const parts = [`${c.missing} missing`];
    if (c.min !== undefined) parts.push(`range ${c.min}..${c.max}`);
    if (c.codes !== undefined) parts.push(`${c.codes} distinct codes`);
    const d = c.declared;
    if (d?.type === 'numeric') parts.push(`${d.outOfRange} outside the declared range`);
    if (d && d.type !== 'numeric') parts.push(`${d.outOfVocabulary} outside the declared vocabulary`);
    if (d?.unitMismatch) parts.push(`looks like another unit (fits after ${d.unitMismatch})`);
    lines.push(`  ${c.name} (${d ? `declared ${d.type}` : c.kind}): ${parts.join(', ')}`);
  }
  if (check.problems.length === 0) lines.push('ok: a job with this data section could run here');
  else {
    lines.push(`${check.problems.length} problem(s): the job could not run here`);
    for (const p of check.problems) lines.push(`  - ${p}`);
  }
  return `${lines.join('\n')}\n`;
}
