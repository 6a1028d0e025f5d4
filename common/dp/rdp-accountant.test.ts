import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { computeEpsilon, computeRdp, DEFAULT_RDP_ORDERS, rdpToEpsilon } from './rdp-accountant.js';

/** |actual - expected| <= 1% of expected. */
function expectWithin1Percent(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(0.01 * Math.abs(expected));
}

/** TF Privacy's MNIST tutorial orders (tutorials/mnist_dpsgd_tutorial.py, compute_epsilon). */
const TF_TUTORIAL_ORDERS = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
];
const MNIST_Q = 256 / 60_000;

describe('computeRdp', () => {
  it('uses the closed form steps * order / (2 sigma^2) for samplingRate 1', () => {
    // Derivation: RDP of the Gaussian mechanism with sensitivity 1 is order / (2 sigma^2)
    // (Mironov 2017, Prop. 7); composition adds. TF Privacy test_compute_rdp_no_sampling: 0.1.
    expect(computeRdp(10, 1, 1, [20])).toEqual([0.1]);
    expect(computeRdp(2, 1, 5, [10, 3.5])).toEqual([(5 * 10) / 8, (5 * 3.5) / 8]);
  });

  it('matches dp-accounting test_compute_rdp_poisson_subsampled_gaussian (integer and fractional orders)', () => {
    // Source: google/differential-privacy python/dp_accounting/rdp/rdp_privacy_accountant_test.py,
    // q = 0.01, sigma = 2.5, 50 steps, published to rtol 1e-4. Order 100 is 167.416307 in
    // TF Privacy's rdp_accountant_test.py test_compute_rdp_sequence.
    const expected = [6.5007e-4, 1.0854e-3, 2.1808e-3, 2.3846e-2, 1.6742e2];

    const rdp = computeRdp(2.5, 0.01, 50, [1.5, 2.5, 5, 50, 100]);

    rdp.forEach((value, i) => {
      expect(Math.abs(value - expected[i]!)).toBeLessThanOrEqual(1e-4 * expected[i]!);
    });
  });

  it('matches TF Privacy test_compute_rdp_scalar: q 0.1, sigma 2, 10 steps, order 5 -> 0.07737', () => {
    expect(computeRdp(2, 0.1, 10, [5])[0]).toBeCloseTo(0.07737, 5);
  });

  it('is 0 without sampling or steps, and Infinity without noise', () => {
    expect(computeRdp(1, 0, 10, [2])).toEqual([0]);
    expect(computeRdp(1, 0.5, 0, [2])).toEqual([0]);
    expect(computeRdp(0, 0.5, 1, [2])).toEqual([Number.POSITIVE_INFINITY]);
  });
});

describe('rdpToEpsilon', () => {
  it('improved conversion matches dp-accounting test_compute_epsilon_delta_pure_dp: 1.32783806176 at order 32', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);

    const result = rdpToEpsilon(
      orders,
      orders.map(() => 1.1),
      1e-5,
    );

    expect(result.epsilon).toBeCloseTo(1.32783806176, 9);
    expect(result.order).toBe(32);
  });

  it('improved conversion matches dp-accounting test_compute_epsilon_delta_gaussian: sigma 4.530877117 is (1, 1e-6)-DP', () => {
    const orders = Array.from({ length: 98_999 }, (_, i) => 0.001 * (i + 1001));

    const { epsilon } = rdpToEpsilon(orders, computeRdp(4.530877117, 1, 1, orders), 1e-6);

    expect(epsilon).toBeCloseTo(1, 6);
  });

  it('classic conversion is eps = rdp - log(delta)/(order - 1), and never below the improved one', () => {
    // By hand: rdp 6.25 at order 10, delta 1e-5: 6.25 + 11.512925465 / 9 = 7.529213941.
    const classic = rdpToEpsilon([10], [6.25], 1e-5, 'classic');
    // Improved: 6.25 + log(0.9) - (log(1e-5) + log(10)) / 9
    //   = 6.25 - 0.105360516 + 9.210340372 / 9 = 7.168010637.
    const improved = rdpToEpsilon([10], [6.25], 1e-5);

    expect(classic.epsilon).toBeCloseTo(7.529213941, 8);
    expect(improved.epsilon).toBeCloseTo(7.168010637, 8);
    expect(classic.epsilon).toBeGreaterThan(improved.epsilon);
  });

  it('refuses delta outside (0, 1) and orders <= 1', () => {
    expect(() => rdpToEpsilon([2], [1], 0)).toThrow(HeflError);
    expect(() => rdpToEpsilon([1], [1], 1e-5)).toThrow(HeflError);
  });
});

describe('computeEpsilon against published figures', () => {
  // Source: tensorflow/privacy tutorials/README.md ("Expected Output" and "Select Parameters"):
  // MNIST, batch 256 of 60000, delta 1e-5, RDP accountant of that time, i.e. the classic
  // conversion and the tutorial's orders. Steps = ceil(epochs * 60000 / 256) as in
  // compute_dp_sgd_privacy.py.
  it.each([
    { sigma: 1.1, epochs: 60, published: 3.01 },
    { sigma: 1.3, epochs: 15, published: 1.19 },
    { sigma: 0.7, epochs: 45, published: 7.1 },
    { sigma: 1.1, epochs: 1, published: 1.03 },
    { sigma: 1.1, epochs: 2, published: 1.11 },
  ])(
    'TF Privacy MNIST tutorial: sigma $sigma, $epochs epochs -> eps $published (classic)',
    ({ sigma, epochs, published }) => {
      const steps = Math.ceil((epochs * 60_000) / 256);

      const { epsilon } = computeEpsilon({
        noiseMultiplier: sigma,
        samplingRate: MNIST_Q,
        steps,
        delta: 1e-5,
        orders: TF_TUTORIAL_ORDERS,
        conversion: 'classic',
      });

      expectWithin1Percent(epsilon, published);
    },
  );

  // Source: pytorch/opacus opacus/tests/accountants_test.py, test_rdp_accountant: RDPAccountant,
  // sigma 1.5, sample rate 0.04, steps int(90 / 0.04) = 2250, delta 1e-5 -> 7.32911117143.
  // Opacus' DEFAULT_ALPHAS are TF_TUTORIAL_ORDERS; its get_privacy_spent uses the improved conversion.
  it('Opacus test_rdp_accountant: sigma 1.5, q 0.04, 2250 steps -> eps 7.32911117143 (improved)', () => {
    const { epsilon } = computeEpsilon({
      noiseMultiplier: 1.5,
      samplingRate: 0.04,
      steps: 2250,
      delta: 1e-5,
      orders: TF_TUTORIAL_ORDERS,
    });

    expectWithin1Percent(epsilon, 7.32911117143);
    expect(epsilon).toBeCloseTo(7.32911117143, 8);
  });

  it('improved conversion is tighter than the classic one on the same run', () => {
    const query = { noiseMultiplier: 1.1, samplingRate: MNIST_Q, steps: 14_063, delta: 1e-5 };

    const classic = computeEpsilon({ ...query, conversion: 'classic' });
    const improved = computeEpsilon(query);

    expect(improved.epsilon).toBeLessThan(classic.epsilon);
    expect(improved.epsilon).toBeGreaterThan(2);
  });

  it('full-batch federated rounds: sigma 1, 10 rounds, delta 1e-5 equals the closed form minimised over orders', () => {
    const expected = Math.min(
      ...DEFAULT_RDP_ORDERS.map(
        (a) => (10 * a) / 2 + Math.log1p(-1 / a) - (Math.log(1e-5) + Math.log(a)) / (a - 1),
      ),
    );

    const { epsilon, order } = computeEpsilon({
      noiseMultiplier: 1,
      samplingRate: 1,
      steps: 10,
      delta: 1e-5,
    });

    expect(epsilon).toBeCloseTo(expected, 12);
    expect(DEFAULT_RDP_ORDERS).toContain(order);
  });

  it('default orders are 1.1..11.0 by 0.1, 12..63, 128, 256, 512, 1024', () => {
    expect(DEFAULT_RDP_ORDERS).toHaveLength(156);
    expect(DEFAULT_RDP_ORDERS.slice(0, 2)).toEqual([1.1, 1.2]);
    expect(DEFAULT_RDP_ORDERS.slice(99, 102)).toEqual([11, 12, 13]);
    expect(DEFAULT_RDP_ORDERS.slice(-4)).toEqual([128, 256, 512, 1024]);
  });

  it('refuses bad inputs with invalid_argument', () => {
    const base = { noiseMultiplier: 1, samplingRate: 0.01, steps: 10, delta: 1e-5 };

    for (const bad of [{ samplingRate: 1.5 }, { steps: 1.5 }, { noiseMultiplier: -1 }, { delta: 1 }]) {
      expect(() => computeEpsilon({ ...base, ...bad })).toThrow(HeflError);
    }
  });
});
