import { describe, expect, it } from 'vitest';
import type { GlmReport } from '../../common/protocol/sealed-glm-report.js';
import { formatGlmReport } from './format-glm-report.js';

const converged: GlmReport = {
  kind: 'glm',
  iteration: 5,
  deviance: 120.5,
  error: null,
  result: {
    family: 'binomial',
    n: 200,
    deviance: 120.5,
    aic: 124.5,
    iterations: 5,
    converged: true,
    dispersion: 1,
    coefficients: [
      {
        feature: '(Intercept)',
        estimate: -1.5,
        standardError: 0.5,
        z: -3,
        pValue: 0.0027,
        ciLow: -2.48,
        ciHigh: -0.52,
        ratio: 0.2231,
      },
      {
        feature: 'age',
        estimate: 0.04,
        standardError: 0.01,
        z: 4,
        pValue: 6.3e-5,
        ciLow: 0.02,
        ciHigh: 0.06,
        ratio: 1.0408,
      },
    ],
  },
};

describe('formatGlmReport', () => {
  it('prints the regression table with odds ratios, n, deviance and AIC', () => {
    const lines = formatGlmReport(converged);
    expect(lines[0]).toBe(
      'GLM (binomial): converged in 5 iterations; n 200, deviance 120.5000, AIC 124.5000',
    );
    expect(lines[1]).toMatch(/feature\s+estimate\s+std\.err\s+z\s+p\s+95% CI low\s+95% CI high\s+odds ratio/);
    expect(lines[3]).toMatch(
      /^ {2}age\s+0\.040000\s+0\.010000\s+4\.000\s+6\.30e-5\s+0\.020000\s+0\.060000\s+1\.040800$/,
    );
  });

  it('prints the failure with the feature it names, and progress before convergence', () => {
    expect(formatGlmReport({ ...converged, result: null, error: 'GLM: feature sex is constant' })).toEqual([
      'GLM: failed after iteration 5: GLM: feature sex is constant',
    ]);
    expect(formatGlmReport({ ...converged, result: null })[0]).toContain('not converged yet');
  });
});
