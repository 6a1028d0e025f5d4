import type { GlmReport } from '../../common/protocol/sealed-glm-report.js';

/**
 * A GLM job's report as `hefl job status` prints it: the regression table (estimate, SE, z,
 * p, 95% CI, odds or rate ratio) with deviance, AIC and n once converged, else the progress
 * or the reason the fit failed.
 */
export function formatGlmReport(report: GlmReport): string[] {
  if (report.error) return [`GLM: failed after iteration ${report.iteration}: ${report.error}`];
  const { result } = report;
  if (!result)
    return [
      `GLM: iteration ${report.iteration}, deviance ${report.deviance?.toFixed(6) ?? '-'} (not converged yet)`,
    ];
  const ratio = result.family === 'binomial' ? 'odds ratio' : result.family === 'poisson' ? 'rate ratio' : '';
  const header = [
    'feature',
    'estimate',
    'std.err',
    'z',
    'p',
    '95% CI low',
    '95% CI high',
    ...(ratio ? [ratio] : []),
  ];
  const rows = result.coefficients.map((c) => [
    c.feature,
    num(c.estimate),
    num(c.standardError),
    c.z.toFixed(3),
    c.pValue < 1e-4 ? c.pValue.toExponential(2) : c.pValue.toFixed(4),
    num(c.ciLow),
    num(c.ciHigh),
    ...(ratio ? [c.ratio === null ? '-' : num(c.ratio)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  return [
    `GLM (${result.family}): converged in ${result.iterations} iterations; n ${result.n}, deviance ${result.deviance.toFixed(4)}, AIC ${result.aic.toFixed(4)}${
      result.family === 'gaussian' ? `, dispersion ${num(result.dispersion)} (RSS / (n - p))` : ''
    }${result.l2 ? `; ridge l2 ${result.l2} (intercept unpenalised, SEs from the penalised information)` : ''}`,
    line(header),
    ...rows.map(line),
  ];
}

function num(x: number): string {
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? x.toFixed(6) : x.toExponential(4);
}
