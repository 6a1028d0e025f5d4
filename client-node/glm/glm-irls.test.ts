import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { CiphertextAdder } from '../../common/he/ciphertext-adder.js';
import { getProfile } from '../../common/he/he-profile.js';
import { SiteCipher } from '../../common/he/site-cipher.js';
import { createSeededRandom } from '../../common/random/seeded-random.js';
import { pooledIrls } from '../../test/support/pooled-irls.js';
import type { GlmFamilyName } from './glm-family.js';
import { GlmIrls, INTERCEPT } from './glm-irls.js';
import type { GlmResult } from './glm-result.js';
import { decodeGlmSection, glmSection } from './glm-section.js';
import type { GlmDesign } from './glm-statistics.js';

const PROFILE = getProfile('bgv-n2048-q54-t38/v1');
const NAMES = [INTERCEPT, 'age', 'sex', 'chol', 'cp_2', 'cp_3'];

/** Synthetic site records: realistic scales (age ~55, chol ~240) so the fixed point is exercised. */
function makeSite(rows: number, seed: number, family: GlmFamilyName, truth: number[]): GlmDesign {
  const random = createSeededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const p = NAMES.length;
  const x = new Float64Array(rows * p);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const cp = Math.floor(random.next() * 3);
    const row = [
      1,
      55 + 9 * gauss(),
      random.next() < 0.6 ? 1 : 0,
      240 + 45 * gauss(),
      cp === 1 ? 1 : 0,
      cp === 2 ? 1 : 0,
    ];
    x.set(row, r * p);
    const eta = row.reduce((a, v, j) => a + v * truth[j]!, 0);
    if (family === 'binomial') y[r] = random.next() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    else if (family === 'poisson') {
      // Knuth's Poisson draw
      const limit = Math.exp(-Math.exp(eta));
      let k = 0;
      let prod = random.next();
      while (prod > limit) {
        k++;
        prod *= random.next();
      }
      y[r] = k;
    } else y[r] = eta + 2 * gauss();
  }
  return { rows, names: NAMES, x, y };
}

function designRows(sites: GlmDesign[]): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (const s of sites)
    for (let r = 0; r < s.rows; r++) {
      x.push(Array.from(s.x.subarray(r * NAMES.length, (r + 1) * NAMES.length)));
      y.push(s.y[r]!);
    }
  return { x, y };
}

describe('federated IRLS over real node-seal sums equals a pooled IRLS', () => {
  let adder: CiphertextAdder;
  let cipher: SiteCipher;
  beforeAll(async () => {
    adder = await CiphertextAdder.create(PROFILE);
    cipher = await SiteCipher.generate(PROFILE, { clipRange: 1, maxSites: 16 });
  });
  afterAll(() => {
    adder.delete();
    cipher.delete();
  });

  /** Each site holds its own GlmIrls; per iteration: encrypt, add (coordinator), decrypt, step. */
  function federatedFit(
    sites: GlmDesign[],
    family: GlmFamilyName,
    maxIterations = 25,
    l2?: number,
  ): GlmResult[] {
    const fits = sites.map(
      () => new GlmIrls(NAMES, { family, maxIterations, ...(l2 === undefined ? {} : { l2 }) }),
    );
    for (let round = 0; round < maxIterations; round++) {
      const sections = sites.map((site, i) => glmSection(cipher, fits[i]!.localVector(site)));
      const sum = adder.startSum(sections[0]!.batch.valueCount);
      for (const s of sections) sum.add(s.batch);
      const aggregate = sum.result();
      sum.delete();
      const results = fits.map((fit) => fit.applySum(decodeGlmSection(cipher, aggregate, sites.length)));
      if (results.every((r) => r !== undefined)) return results as GlmResult[];
      expect(results.every((r) => r === undefined)).toBe(true);
    }
    throw new Error('no convergence');
  }

  function expectRelative(actual: number, expected: number, tolerance: number) {
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
  }

  it.each([
    { family: 'binomial' as const, truth: [-4, 0.04, 0.8, 0.006, 0.7, -0.5], sizes: [70, 110, 95, 140] },
    { family: 'poisson' as const, truth: [-1.5, 0.02, 0.3, 0.002, 0.4, -0.3], sizes: [60, 90, 80] },
    { family: 'gaussian' as const, truth: [3, 0.05, 1.2, 0.01, 0.8, -0.6], sizes: [50, 75, 65, 40] },
  ])('$family: coefficients and standard errors within 1e-6 relative, the same at every site', (c) => {
    const sites = c.sizes.map((rows, i) =>
      makeSite(rows, 1000 * (i + 1) + c.family.length, c.family, c.truth),
    );
    const pooled = pooledIrls(designRows(sites), c.family);
    const results = federatedFit(sites, c.family);
    const first = results[0]!;
    for (const other of results) expect(other.coefficients).toEqual(first.coefficients);
    expect(first.converged).toBe(true);
    expect(first.iterations).toBeLessThan(15);
    expect(first.n).toBe(c.sizes.reduce((a, b) => a + b, 0));
    first.coefficients.forEach((row, j) => {
      expect(row.feature).toBe(NAMES[j]);
      expectRelative(row.estimate, pooled.beta[j]!, 1e-6);
      expectRelative(row.standardError, pooled.se[j]!, 1e-6);
      expect(row.ciLow).toBeLessThan(row.estimate);
      if (c.family !== 'gaussian') expectRelative(row.ratio!, Math.exp(pooled.beta[j]!), 1e-6);
    });
    expectRelative(first.deviance, pooled.deviance, 1e-6);
  });

  it.each([
    { family: 'binomial' as const, truth: [-4, 0.04, 0.8, 0.006, 0.7, -0.5], l2: 25 },
    { family: 'poisson' as const, truth: [-1.5, 0.02, 0.3, 0.002, 0.4, -0.3], l2: 40 },
    { family: 'gaussian' as const, truth: [3, 0.05, 1.2, 0.01, 0.8, -0.6], l2: 300 },
  ])('$family with l2 = $l2: the penalised fit equals a pooled ridge IRLS, intercept unpenalised', (c) => {
    const sites = [60, 85, 70].map((rows, i) => makeSite(rows, 500 + 17 * i, c.family, c.truth));
    const pooled = pooledIrls(designRows(sites), c.family, c.l2);
    const plain = pooledIrls(designRows(sites), c.family);

    const [result] = federatedFit(sites, c.family, 25, c.l2);

    // The penalty visibly shrinks the fit (so the comparison below is not the unpenalised one)...
    expect(Math.abs(pooled.beta[2]! - plain.beta[2]!)).toBeGreaterThan(1e-3 * Math.abs(plain.beta[2]!));
    // ...and the federated penalised fit is the pooled penalised one.
    result!.coefficients.forEach((row, j) => {
      expectRelative(row.estimate, pooled.beta[j]!, 1e-6);
      expectRelative(row.standardError, pooled.se[j]!, 1e-6);
    });
  });

  it('under l2 complete separation still has an estimate (no separation error)', () => {
    const sites = [80, 90].map((rows, i) =>
      makeSite(rows, 21 + i, 'binomial', [-4, 0.04, 0.8, 0.006, 0.7, -0.5]),
    );
    for (const s of sites) for (let r = 0; r < s.rows; r++) s.y[r] = s.x[r * NAMES.length + 3]! > 240 ? 1 : 0;
    const pooled = pooledIrls(designRows(sites), 'binomial', 1);
    const [result] = federatedFit(sites, 'binomial', 40, 1);
    expect(result!.converged).toBe(true);
    expectRelative(result!.coefficients[3]!.estimate, pooled.beta[3]!, 1e-6);
  });

  it('binomial AIC and p-values follow their definitions', () => {
    const sites = [70, 110].map((rows, i) =>
      makeSite(rows, 7 + i, 'binomial', [-4, 0.04, 0.8, 0.006, 0.7, -0.5]),
    );
    const [result] = federatedFit(sites, 'binomial');
    expectRelative(result!.aic, result!.deviance + 2 * NAMES.length, 1e-12);
    for (const row of result!.coefficients) {
      expectRelative(row.z, row.estimate / row.standardError, 1e-12);
      // |z| = 1.959964 has p = 0.05; check monotone and in range
      expect(row.pValue).toBeGreaterThan(0);
      expect(row.pValue).toBeLessThanOrEqual(1);
      expect(row.pValue < 0.05).toBe(Math.abs(row.z) > 1.959963984540054);
    }
  });

  it('a constant column is refused naming the feature', () => {
    const sites = [80, 90].map((rows, i) =>
      makeSite(rows, 11 + i, 'binomial', [-4, 0.04, 0.8, 0.006, 0.7, -0.5]),
    );
    for (const s of sites) for (let r = 0; r < s.rows; r++) s.x[r * NAMES.length + 2] = 1;
    expect(() => federatedFit(sites, 'binomial')).toThrowError(/feature sex is constant/);
  });

  it('complete separation is refused naming the separating feature', () => {
    const sites = [80, 90, 70].map((rows, i) =>
      makeSite(rows, 21 + i, 'binomial', [-4, 0.04, 0.8, 0.006, 0.7, -0.5]),
    );
    // chol above 240 exactly predicts the label
    for (const s of sites) for (let r = 0; r < s.rows; r++) s.y[r] = s.x[r * NAMES.length + 3]! > 240 ? 1 : 0;
    expect(() => federatedFit(sites, 'binomial', 40)).toThrowError(/separation.*feature chol/);
  });

  it('a column that duplicates another makes the Hessian singular, named', () => {
    const sites = [80, 90].map((rows, i) =>
      makeSite(rows, 31 + i, 'binomial', [-4, 0.04, 0.8, 0.006, 0.7, -0.5]),
    );
    // cp_3 = 1 - cp_2 - 0 ... make it a copy of sex
    for (const s of sites)
      for (let r = 0; r < s.rows; r++) s.x[r * NAMES.length + 5] = s.x[r * NAMES.length + 2]!;
    const run = () => federatedFit(sites, 'binomial');
    expect(run).toThrowError(HeflError);
    expect(run).toThrowError(/singular at feature cp_3/);
  });
});
