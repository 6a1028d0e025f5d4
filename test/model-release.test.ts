import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRelease } from '../cli/researcher/open-model-release.js';
import { buildModel, setFlatWeights } from '../client-node/training/model-builder.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

function job(release: boolean) {
  return syntheticJob({
    model: { kind: 'mlp', hidden: [6], activation: 'tanh' },
    rounds: 2,
    minSites: 2,
    release: { toResearcher: release },
    roundDeadlineSeconds: 30,
  });
}

describe('model release to the researcher', () => {
  let fed: TestFederation;
  const siteIdOf = (pk: Uint8Array) => {
    const m = fed.federation.memberBySigningKey(pk);
    return m?.role === 'site' ? m.id : undefined;
  };
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 2 });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('gives the researcher a TensorFlow.js layers model that predicts exactly like the sites’ final model', async () => {
    const { jobId } = await fed.researcher.submit(job(true));
    expect((await waitForJob(fed.researcher, jobId, 60_000)).state).toBe('completed');
    let reply = await fed.researcher.fetchModel(jobId);
    for (let i = 0; i < 50 && reply.pending.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      reply = await fed.researcher.fetchModel(jobId);
    }
    expect(reply.releases).toHaveLength(2);
    const released = openModelRelease(reply, fed.researcherKeys.sealingSecretKey, siteIdOf);
    expect(released.card.participatingSites).toEqual(['site-a', 'site-b']);
    expect(released.card.features.names.length).toBeGreaterThan(5);

    // Load exactly as a researcher would: model.json + weights.bin through tf.loadLayersModel.
    const modelJson = JSON.parse(released.modelJson) as {
      modelTopology: object;
      weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
    };
    const weightData = released.weights.buffer.slice(
      released.weights.byteOffset,
      released.weights.byteOffset + released.weights.byteLength,
    );
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0]!.weights,
        weightData: weightData as ArrayBuffer,
      }),
    );

    const [siteWeights] = await finalModels(fed, jobId);
    const inputDim = released.card.features.names.length;
    const reference = buildModel({ kind: 'mlp', hidden: [6], activation: 'tanh' }, inputDim, 0);
    setFlatWeights(reference, siteWeights!);
    const x = tf.randomNormal([16, inputDim], 0, 1, 'float32', 7);
    const a = (loaded.predict(x) as tf.Tensor).dataSync();
    const b = (reference.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    x.dispose();
    loaded.dispose();
    reference.dispose();
  }, 120_000);

  it('refuses to hand out the model of a job that does not release it', async () => {
    const { jobId } = await fed.researcher.submit(job(false));
    expect((await waitForJob(fed.researcher, jobId, 60_000)).state).toBe('completed');
    await expect(fed.researcher.fetchModel(jobId)).rejects.toThrow(
      /not released \(release.toResearcher = false\)/,
    );
  }, 120_000);
});
