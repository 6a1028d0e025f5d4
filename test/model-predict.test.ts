import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJobStatus, jobStatusView } from '../cli/job/format-job-status.js';
import { openModelRelease } from '../cli/researcher/open-model-release.js';
import { writeReleasedModel } from '../cli/researcher/write-released-model.js';
import {
  computeLocalStats,
  type FeatureFinding,
  FeaturePipeline,
  loadRawCsv,
  siteTableForJob,
} from '../client-node/data/index.js';
import { loadSiteDataset } from '../client-node/site-dataset.js';
import { buildModel, setFlatWeights } from '../client-node/training/model-builder.js';
import { featureSalt } from '../common/job/job-spec.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { runCli } from './support/run-cli.js';
import { syntheticJob } from './support/synthetic-job.js';

const MODEL = { kind: 'mlp', hidden: [4], activation: 'tanh' } as const;

/** The synthetic hospitals' job with a declared schema: units and ranges, a vocabulary, a binary column. */
function schemaJob(cholesterol: { unit: string; range: [number, number] }, outOfRange = 'refuse') {
  return syntheticJob({
    model: MODEL,
    rounds: 2,
    minSites: 2,
    roundDeadlineSeconds: 30,
    data: {
      label: 'event',
      categorical: ['ecg'],
      features: [
        'age',
        { name: 'sex', type: 'binary' },
        { name: 'cholesterol', type: 'numeric', ...cholesterol, outOfRange },
        {
          name: 'chest_pain',
          type: 'categorical',
          vocabulary: { system: 'local', codes: ['typical', 'atypical', 'non-anginal'] },
          outOfVocabulary: 'other',
        },
        'ecg',
      ],
    },
  });
}

describe('a declared feature schema end to end', () => {
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

  it('hefl model predict on a fetched model equals the sites’ own evaluation of the same rows', async () => {
    const job = schemaJob({ unit: 'mg/dL', range: [80, 700] });
    const { jobId } = await fed.researcher.submit(job);
    expect((await waitForJob(fed.researcher, jobId, 90_000)).state).toBe('completed');
    let reply = await fed.researcher.fetchModel(jobId);
    for (let i = 0; i < 50 && reply.pending.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      reply = await fed.researcher.fetchModel(jobId);
    }
    const released = openModelRelease(reply, fed.researcherKeys.sealingSecretKey, siteIdOf);
    const modelDir = join(fed.dir, 'model');
    await writeReleasedModel(released, modelDir);
    const dataFile = join(fed.dir, 'site-0.csv');
    const outFile = join(fed.dir, 'predictions.csv');

    await runCli('model', 'predict', '--model', modelDir, '--data', dataFile, '--out', outFile);

    // The site's own evaluation: its held-out rows through the job-wide pipeline, final weights.
    const datasets = await Promise.all(
      [0, 1].map((i) => loadSiteDataset({ path: join(fed.dir, `site-${i}.csv`) }, job.spec)),
    );
    const schema = [...datasets[0]!.train.featureColumns].sort((a, b) => (a.name < b.name ? -1 : 1));
    const salt = featureSalt(job.spec);
    const sum = new Float64Array(computeLocalStats(datasets[0]!.train, schema, { salt }).length);
    for (const d of datasets)
      computeLocalStats(d.train, schema, { salt }).forEach((v, i) => {
        sum[i]! += v;
      });
    const pipeline = FeaturePipeline.fromGlobalStats(schema, sum, { salt });
    const heldOut = datasets[0]!.test;
    const [weights] = await finalModels(fed, jobId);
    const reference = buildModel(MODEL, pipeline.cols, 0);
    setFlatWeights(reference, weights!);
    const expected = tf.tidy(() =>
      Array.from(
        (
          reference.predict(
            tf.tensor2d(pipeline.transform(heldOut).x, [heldOut.rows, pipeline.cols]),
          ) as tf.Tensor
        ).dataSync(),
      ),
    );
    reference.dispose();

    const predicted = new Map(
      readFileSync(outFile, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').map(Number) as [number, number]),
    );
    expect(released.card.features.names).toEqual(pipeline.featureNames);
    expect(released.card.features.names).toContain('chest_pain=other');
    expect(released.card.features.data.features).toEqual(job.spec.data.features);
    expect(heldOut.lines!.map((line) => predicted.get(line))).toEqual(expected.map((p) => Math.fround(p)));
  }, 150_000);

  it('a site whose data cannot meet the schema declines, naming the feature and the problem, never a value', async () => {
    const { jobId } = await fed.researcher.submit(schemaJob({ unit: 'mmol/L', range: [2, 15] }));

    const status = await waitForJob(fed.researcher, jobId, 60_000);

    expect(status.state).toBe('failed');
    expect(status.decisions.map((d) => [d.accept, d.reason])).toEqual([
      [false, "feature 'cholesterol': values look like another unit than the job's mmol/L"],
      [false, "feature 'cholesterol': values look like another unit than the job's mmol/L"],
    ]);
  }, 90_000);

  it('hefl job status shows the round-0 totals of declared codes and of values outside the schema, summed under encryption', async () => {
    const job = schemaJob({ unit: 'mg/dL', range: [80, 250] }, 'keep');
    const { jobId } = await fed.researcher.submit(job);
    expect((await waitForJob(fed.researcher, jobId, 90_000)).state).toBe('completed');

    const view = jobStatusView(
      await fed.researcher.status(jobId),
      fed.researcherKeys.sealingSecretKey,
      (pk) => Boolean(siteIdOf(pk)),
    );

    // Expected: what each site's data holds, added up here in the clear (test only).
    const findings = await Promise.all(
      [0, 1].map(
        async (i) =>
          siteTableForJob(await loadRawCsv(join(fed.dir, `site-${i}.csv`)), job.spec.data).findings,
      ),
    );
    const total = (name: string, pick: (f: FeatureFinding) => number) =>
      findings.reduce((a, site) => a + pick(site.find((f) => f.name === name)!), 0);
    const chol = view.data!.features.find((f) => f.name === 'cholesterol')!;
    const pain = view.data!.features.find((f) => f.name === 'chest_pain')!;
    expect(chol).toEqual({
      name: 'cholesterol',
      type: 'numeric',
      rows: total('cholesterol', (f) => f.rows),
      outside: total('cholesterol', (f) => f.outOfRange),
    });
    expect(chol.outside).toBeGreaterThan(0);
    expect(pain.outside).toBe(total('chest_pain', (f) => f.outOfVocabulary));
    expect(pain.codes).toEqual(
      ['typical', 'atypical', 'non-anginal'].map((code, i) => ({
        code,
        count: total('chest_pain', (f) => f.codeCounts[i]!),
      })),
    );
    expect(formatJobStatus(view)).toContain(
      `  chest_pain (categorical): ${pain.outside} of ${pain.rows} outside the declared codes; codes: typical ${pain.codes![0]!.count}`,
    );
  }, 150_000);
});
