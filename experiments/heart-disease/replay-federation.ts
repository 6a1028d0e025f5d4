import {
  evaluateModel,
  initialWeights,
  metricsFromSums,
  trainLocally,
} from '../../client-node/in-process.js';
import {
  computeLocalStats,
  createStrategy,
  decodeExactSection,
  exactSection,
  FeaturePipeline,
  modelHash,
  perSitePipeline,
  type StrategyState,
  type TransformedTable,
  trainingConfigFor,
} from '../../client-node/index.js';
import { addGaussianNoise, clipL2, type NoiseSource, siteNoiseStddev } from '../../common/dp/index.js';
import { decodeWeightedMean, encodeWeightedUpdate } from '../../common/fl/weighted-update.js';
import type { CiphertextBatch } from '../../common/he/ciphertext-batch.js';
import { createAdder } from '../../common/he/create-adder.js';
import { generateSiteCipher } from '../../common/he/create-cipher.js';
import type { SiteVectorCipher, VectorAdder } from '../../common/he/vector-cipher.js';
import { featureSalt, type ParsedJob } from '../../common/job/job-spec.js';
import type { HeartCenter } from './load-heart-centers.js';

/**
 * Site-level differential privacy applied in the replay only (the site node does not apply
 * DP yet): each site clips its model delta to L2 norm `clipNorm` and adds Gaussian noise of
 * stddev `noiseMultiplier * clipNorm / sqrt(sites)`, so the encrypted sum carries the full
 * noise the accountant assumes.
 */
export interface ReplayDp {
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
  readonly noise: NoiseSource;
}

export interface ReplayResult {
  /** The final global model and its hash (the value every site signs). */
  readonly weights: Float32Array;
  readonly modelHash: string;
  /** Final model's accuracy on each center's own held-out split, in `centers` order. */
  readonly perCenterAccuracy: number[];
  /** Final model's accuracy over all held-out rows pooled (what the federation reports). */
  readonly pooledAccuracy: number;
  /** Model hash after each training round 1..R. */
  readonly roundHashes: string[];
}

/**
 * Runs a job's rounds in this process with the site node's own building blocks and the
 * job's real cipher (HE or the plaintext twin): encrypted feature statistics, local
 * training per center, weighted update encoding, encryption, ciphertext addition,
 * decryption and the strategy step. It leaves out gRPC, signatures and the key ceremony,
 * which do not change any number. Used because the federation only reveals pooled
 * metrics, while FLamby's metric needs each center's accuracy.
 */
export async function replayFederation(
  job: ParsedJob,
  centers: readonly HeartCenter[],
  dp?: ReplayDp,
): Promise<ReplayResult> {
  const { spec } = job;
  // The sites' salt for hashed categorical features (data section + seed only), so the HE
  // and plaintext twins of a job see identical features.
  const salt = featureSalt(spec);
  const cipher = await generateSiteCipher(spec.he.profile, {
    clipRange: spec.he.clipRange,
    maxSites: spec.maxSites,
  });
  const adder = await createAdder(spec.he.profile);
  try {
    const sumOf = (batches: CiphertextBatch[]) => addAll(adder, batches);
    const statsSum = sumOf(
      centers.map(
        (c) => exactSection(cipher, 'stats', computeLocalStats(c.dataset.train, c.schema, { salt })).batch,
      ),
    );
    const globalStats = decodeExactSection(cipher, statsSum, centers.length);
    const schema = centers[0]!.schema;
    const pipeline = FeaturePipeline.fromGlobalStats(schema, globalStats, { salt });
    // data.scaling 'per-site': each center z-scored with its own train statistics, as the site does.
    const own = centers.map((c) =>
      spec.data.scaling === 'per-site' ? perSitePipeline(pipeline, c.dataset.train, schema) : pipeline,
    );
    const train = centers.map((c, i) => own[i]!.transform(c.dataset.train));
    const test = centers.map((c, i) => own[i]!.transform(c.dataset.test));
    const strategy = createStrategy(spec.strategy);
    let global: Float32Array = initialWeights(spec.model, pipeline.cols, spec.seed);
    let state: StrategyState | null = null;
    const roundHashes: string[] = [];
    for (let round = 1; round <= spec.rounds; round++) {
      const updates: CiphertextBatch[] = [];
      for (const table of train) {
        const result = await trainLocally({
          spec: spec.model,
          inputDim: table.cols,
          globalWeights: global,
          ...table,
          config: trainingConfigFor(spec, round),
        });
        let delta: Float32Array = new Float32Array(global.length);
        for (let i = 0; i < delta.length; i++) delta[i] = result.weights[i]! - global[i]!;
        if (dp) delta = privatise(delta, dp, centers.length);
        updates.push(
          encrypt(cipher, encodeWeightedUpdate(delta, result.samples, spec.weightCap, spec.he.clipRange)),
        );
      }
      const sum = cipher.decrypt(sumOf(updates), centers.length);
      const { mean } = decodeWeightedMean(sum, spec.he.clipRange);
      const step = strategy.step(global, mean, state);
      global = step.weights;
      state = step.state;
      roundHashes.push(modelHash(global));
    }
    const sums = test.map((t) => evaluate(job, global, t));
    const perCenterAccuracy = sums.map((s) => s.correct / s.count);
    const correct = sums.reduce((a, s) => a + s.correct, 0);
    const count = sums.reduce((a, s) => a + s.count, 0);
    return {
      weights: global,
      modelHash: modelHash(global),
      perCenterAccuracy,
      pooledAccuracy: correct / count,
      roundHashes,
    };
  } finally {
    adder.delete();
    cipher.delete();
  }
}

function addAll(adder: VectorAdder, batches: CiphertextBatch[]): CiphertextBatch {
  const sum = adder.startSum(batches[0]!.valueCount);
  try {
    for (const batch of batches) sum.add(batch);
    return sum.result();
  } finally {
    sum.delete();
  }
}

function encrypt(cipher: SiteVectorCipher, values: Float64Array): CiphertextBatch {
  return cipher.encrypt(values).batch;
}

function privatise(delta: Float32Array, dp: ReplayDp, sites: number): Float32Array {
  const { clipped } = clipL2(delta, dp.clipNorm);
  return addGaussianNoise(clipped, siteNoiseStddev(dp.noiseMultiplier * dp.clipNorm, sites), dp.noise);
}

function evaluate(job: ParsedJob, weights: Float32Array, table: TransformedTable) {
  const sums = evaluateModel({ spec: job.spec.model, inputDim: table.cols, weights, ...table });
  return { correct: sums.correct, count: sums.count, accuracy: metricsFromSums(sums).accuracy };
}
