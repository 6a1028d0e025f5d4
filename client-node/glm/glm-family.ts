import { HeflError } from '../../common/errors/index.js';

export type GlmFamilyName = 'binomial' | 'gaussian' | 'poisson';

/**
 * A GLM family with its canonical link (logit, identity, log). With a canonical link the
 * Newton step and Fisher scoring coincide: gradient X'(y - mu), Hessian X'WX with
 * W = variance(mu), so sums over sites give the pooled step exactly.
 */
export interface GlmFamily {
  readonly name: GlmFamilyName;
  /** Inverse link: mean from the linear predictor. */
  mean(eta: number): number;
  variance(mu: number): number;
  /** Unit deviance contribution of one record. */
  deviance(y: number, mu: number): number;
  /** Log-likelihood of one record up to the dispersion (gaussian: 0, handled from the deviance). */
  logLikelihood(y: number, mu: number): number;
  /** Throws when a label value is outside the family's support. */
  checkLabel(y: number, row: number): void;
  /** Whether the dispersion is estimated (gaussian) or fixed at 1. */
  readonly estimatesDispersion: boolean;
}

function xlogy(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(y);
}

const binomial: GlmFamily = {
  name: 'binomial',
  mean: (eta) => (eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta))),
  variance: (mu) => mu * (1 - mu),
  deviance: (y, mu) => -2 * (xlogy(y, mu) + xlogy(1 - y, 1 - mu)),
  logLikelihood: (y, mu) => xlogy(y, mu) + xlogy(1 - y, 1 - mu),
  checkLabel(y, row) {
    if (y !== 0 && y !== 1)
      throw new HeflError('invalid_argument', `binomial GLM: label of row ${row} is not 0 or 1`);
  },
  estimatesDispersion: false,
};

const gaussian: GlmFamily = {
  name: 'gaussian',
  mean: (eta) => eta,
  variance: () => 1,
  deviance: (y, mu) => (y - mu) ** 2,
  logLikelihood: () => 0,
  checkLabel(y, row) {
    if (!Number.isFinite(y))
      throw new HeflError('invalid_argument', `gaussian GLM: label of row ${row} is not finite`);
  },
  estimatesDispersion: true,
};

const poisson: GlmFamily = {
  name: 'poisson',
  mean: (eta) => Math.exp(eta),
  variance: (mu) => mu,
  deviance: (y, mu) => 2 * (xlogy(y, y / mu) - (y - mu)),
  logLikelihood: (y, mu) => xlogy(y, mu) - mu - logFactorial(y),
  checkLabel(y, row) {
    if (!Number.isInteger(y) || y < 0)
      throw new HeflError('invalid_argument', `poisson GLM: label of row ${row} is not a count`);
  },
  estimatesDispersion: false,
};

function logFactorial(k: number): number {
  let total = 0;
  for (let i = 2; i <= k; i++) total += Math.log(i);
  return total;
}

export function glmFamily(name: GlmFamilyName): GlmFamily {
  switch (name) {
    case 'binomial':
      return binomial;
    case 'gaussian':
      return gaussian;
    case 'poisson':
      return poisson;
  }
}
