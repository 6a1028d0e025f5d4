/**
 * FLamby's published Fed-Heart-Disease results, per method: mean over its 5 seeds (42..46) of
 * the unweighted mean of the 4 centers' test accuracies, the sample std over seeds, and the
 * per-center means. Computed from owkin/FLamby (commit edacf54)
 * flamby/results/results_benchmark_fed_heart_disease/heart_seed{42..46}.csv.
 */
export interface FlambyPublished {
  readonly mean: number;
  readonly std: number;
  readonly perCenter: readonly number[];
}

export const FLAMBY_PUBLISHED: Readonly<Record<string, FlambyPublished>> = {
  pooled: { mean: 0.735, std: 0.003, perCenter: [0.783, 0.764, 0.75, 0.644] },
  'local-0': { mean: 0.722, std: 0.021, perCenter: [0.746, 0.76, 0.725, 0.658] },
  'local-1': { mean: 0.629, std: 0.017, perCenter: [0.746, 0.746, 0.525, 0.498] },
  'local-2': { mean: 0.567, std: 0.058, perCenter: [0.481, 0.391, 0.725, 0.671] },
  'local-3': { mean: 0.637, std: 0.039, perCenter: [0.577, 0.467, 0.8, 0.702] },
  fedavg: { mean: 0.685, std: 0.028, perCenter: [0.731, 0.719, 0.65, 0.64] },
  fedprox: { mean: 0.685, std: 0.028, perCenter: [0.731, 0.719, 0.65, 0.64] },
  fedadam: { mean: 0.726, std: 0.014, perCenter: [0.752, 0.746, 0.738, 0.667] },
  fedyogi: { mean: 0.731, std: 0.013, perCenter: [0.76, 0.753, 0.738, 0.676] },
  fedadagrad: { mean: 0.731, std: 0.013, perCenter: [0.76, 0.753, 0.738, 0.676] },
};
