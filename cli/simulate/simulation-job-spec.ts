import { noiseMultiplierFor } from '../../client-node/index.js';
import { type ParsedJob, parseJobSpec } from '../../common/job/job-spec.js';
import {
  defaultRecruitSeconds,
  defaultRoundDeadlineSeconds,
  type SimulationOptions,
} from './simulation-options.js';

/** The DP settings of a simulated job (`--dp-epsilon`), also what its privacy report starts from. */
export interface SimulationDpSettings {
  readonly unit: 'record' | 'site';
  readonly epsilon: number;
  readonly delta: number;
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
  readonly clipRange: number;
}

/**
 * The job `hefl simulate` submits, from its options, the label and categorical columns of
 * the data, and the number of sites; validated like any job file. `profile` is the HE
 * profile id (or the insecure plaintext one with `--he off`).
 */
export function simulationJobSpec(
  options: SimulationOptions,
  data: { label: string; categorical: string[] | undefined; sites: number },
): { job: ParsedJob; profile: string; dp: SimulationDpSettings | undefined } {
  const profile = options.he ? 'bgv-n2048-q54-t38/v1' : 'plaintext-insecure/v1';
  if (options.job) {
    // --job FILE: that job as written, its HE profile following --he.
    const { spec } = options.job;
    const job = parseJobSpec({ ...spec, he: { ...spec.he, profile } });
    return { job, profile, dp: undefined };
  }
  const minSites = options.minSites ?? data.sites;
  const dp =
    options.dpEpsilon === undefined
      ? undefined
      : dpSettings(options.dpEpsilon, options.rounds, minSites, options.dpUnit ?? 'record');
  const job = parseJobSpec({
    name: 'simulation',
    model: options.model,
    rounds: options.rounds,
    strategy: {
      name: options.strategy,
      ...(options.serverLearningRate ? { serverLearningRate: options.serverLearningRate } : {}),
    },
    local: options.local,
    minSites,
    // The job format's default maxSites is 100; larger simulations need room for every site.
    ...(data.sites > 100 ? { maxSites: data.sites } : {}),
    roundDeadlineSeconds: options.roundDeadlineSeconds ?? defaultRoundDeadlineSeconds(data.sites),
    recruitSeconds: defaultRecruitSeconds(data.sites),
    he: { profile, clipRange: dp ? dp.clipRange : 1 },
    ...(dp ? { dp: { unit: dp.unit, epsilon: dp.epsilon, delta: dp.delta, clipNorm: dp.clipNorm } } : {}),
    data: {
      label: data.label,
      ...((options.categorical ?? data.categorical)
        ? { categorical: options.categorical ?? data.categorical }
        : {}),
    },
    seed: options.seed,
  });
  return { job, profile, dp };
}

/**
 * The DP settings `--dp-epsilon` gives a job: delta 1e-5, clip norm 1. Site-level: an HE
 * clip range wide enough for clipped update plus each site's noise share (6 standard
 * deviations), so the quantiser does not cut the noise off. Record-level: each site chooses
 * its own noise when it accepts (the DP-SGD noise is inside the trained weights, the update
 * stays in the default clip range); noiseMultiplier here is 0 until the sites report theirs.
 */
function dpSettings(
  epsilon: number,
  rounds: number,
  sites: number,
  unit: 'record' | 'site',
): SimulationDpSettings {
  const delta = 1e-5;
  const clipNorm = 1;
  if (unit === 'record') return { unit, epsilon, delta, clipNorm, noiseMultiplier: 0, clipRange: 1 };
  const noiseMultiplier = noiseMultiplierFor({ epsilon, delta, steps: rounds });
  const siteStddev = (noiseMultiplier * clipNorm) / Math.sqrt(sites);
  return { unit, epsilon, delta, clipNorm, noiseMultiplier, clipRange: clipNorm + 6 * siteStddev };
}
