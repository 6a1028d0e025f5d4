import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeLocalStats, FeaturePipeline, readRawCsv } from '../client-node/data/index.js';
import { datasetFromRaw } from '../client-node/site-dataset.js';
import { featureSalt, type ParsedJob, parseJobSpec } from '../common/job/job-spec.js';
import type { HeartCenter } from '../experiments/heart-disease/load-heart-centers.js';
import { UCI_HEART_COLUMNS } from '../experiments/heart-disease/prepare-flamby-csv.js';
import { replayFederation } from '../experiments/heart-disease/replay-federation.js';
import {
  cleanedHeartCsv,
  KEPT_HEART_COLUMNS,
  UCI_STYLES,
  uciHeartFile,
} from './support/uci-heart-fixtures.js';

const FEATURES = KEPT_HEART_COLUMNS.filter((c) => c !== 'num');

function heartJob(features: unknown[] = FEATURES): ParsedJob {
  return parseJobSpec({
    model: { kind: 'logreg' },
    rounds: 3,
    local: { epochs: 1, batchSize: 16, learningRate: 0.1 },
    data: { label: 'num', categorical: ['cp', 'restecg'], features },
    minSites: 4,
  });
}

/** The four hospitals' files as distributed (headerless, read with the UCI column list). */
function rawCenters(job: ParsedJob, texts: readonly string[]): HeartCenter[] {
  return texts.map((text, i) =>
    center(job, UCI_STYLES[i]!.file, readRawCsv(text, UCI_STYLES[i]!.file, { columns: UCI_HEART_COLUMNS })),
  );
}

/** The same records after a researcher cleaned them by hand (header, integers, no missing rows). */
function cleanedCenters(job: ParsedJob, texts: readonly string[]): HeartCenter[] {
  return texts.map((text, i) => {
    const file = UCI_STYLES[i]!.file.replace('processed.', '').replace('.data', '.csv');
    return center(job, file, readRawCsv(cleanedHeartCsv(text), file));
  });
}

function center(job: ParsedJob, file: string, raw: ReturnType<typeof readRawCsv>): HeartCenter {
  const dataset = datasetFromRaw(raw, job.spec);
  const schema = [...dataset.train.featureColumns].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return { center: file, file, dataset, schema };
}

/** What every site computes after round 0: the job-wide pipeline from the summed statistics. */
function pipelineOf(job: ParsedJob, centers: readonly HeartCenter[]): FeaturePipeline {
  const salt = featureSalt(job.spec);
  const schema = centers[0]!.schema;
  const sum = new Float64Array(computeLocalStats(centers[0]!.dataset.train, schema, { salt }).length);
  for (const c of centers)
    computeLocalStats(c.dataset.train, c.schema, { salt }).forEach((v, i) => {
      sum[i]! += v;
    });
  return FeaturePipeline.fromGlobalStats(schema, sum, { salt });
}

const generatedTexts = UCI_STYLES.map((style, i) => uciHeartFile(style, 90, 100 + i));

describe('the four UCI heart-disease files as distributed', () => {
  it('give the same features and final model as cleaned CSVs (Cleveland 4.0 = Hungary 4)', async () => {
    const job = heartJob();
    const raw = rawCenters(job, generatedTexts);
    const cleaned = cleanedCenters(job, generatedTexts);

    const rawPipeline = pipelineOf(job, raw);
    const cleanPipeline = pipelineOf(job, cleaned);
    const rawResult = await replayFederation(job, raw);
    const cleanResult = await replayFederation(job, cleaned);

    // cp has codes 1..4 and restecg 0..2 at every hospital: one filled bucket per code, shared by all.
    const filled = (name: string) => rawPipeline.categorical.find((c) => c.name === name)?.buckets;
    expect(filled('cp')).toHaveLength(4);
    expect(filled('restecg')).toHaveLength(3);
    expect(rawPipeline.categorical).toEqual(cleanPipeline.categorical);
    expect(rawPipeline.featureNames).toEqual(cleanPipeline.featureNames);
    raw.forEach((c, i) => {
      expect(c.dataset.train.rows).toBe(cleaned[i]!.dataset.train.rows);
      expect(rawPipeline.transform(c.dataset.train).x).toEqual(
        cleanPipeline.transform(cleaned[i]!.dataset.train).x,
      );
    });
    expect(rawResult.modelHash).toBe(cleanResult.modelHash);
  }, 60_000);

  it('with declared vocabularies: one input per declared code at every hospital, same model as cleaned CSVs', async () => {
    const job = heartJob(
      FEATURES.map((name) =>
        name === 'cp'
          ? { name, type: 'categorical', vocabulary: { system: 'UCI cp', codes: [1, 2, 3, 4] } }
          : name === 'restecg'
            ? { name, type: 'categorical', vocabulary: { codes: ['0', '1', '2'] } }
            : name === 'sex' || name === 'fbs' || name === 'exang'
              ? { name, type: 'binary' }
              : name === 'chol'
                ? { name, type: 'numeric', unit: 'mg/dL', range: [80, 700] }
                : name,
      ),
    );
    const raw = rawCenters(job, generatedTexts);
    const cleaned = cleanedCenters(job, generatedTexts);

    const rawPipeline = pipelineOf(job, raw);
    const rawResult = await replayFederation(job, raw);
    const cleanResult = await replayFederation(job, cleaned);

    expect(rawPipeline.featureNames.filter((n) => /^(cp|restecg)=/.test(n))).toEqual([
      'cp=1',
      'cp=2',
      'cp=3',
      'cp=4',
      'restecg=0',
      'restecg=1',
      'restecg=2',
    ]);
    expect(rawResult.modelHash).toBe(cleanResult.modelHash);
  }, 60_000);

  const dir =
    process.env.HEFL_HEART_DATA ?? resolve(import.meta.dirname, '../../shared/datasets/heart-disease');
  const haveRealData = existsSync(resolve(dir, UCI_STYLES[0]!.file));
  if (!haveRealData) {
    console.log(
      `real-data check skipped: no ${UCI_STYLES[0]!.file} in ${dir} (set HEFL_HEART_DATA to the UCI folder)`,
    );
  }

  it.skipIf(!haveRealData)(
    'real data: the UCI files as downloaded and cleaned CSVs give the same model',
    async () => {
      const texts = UCI_STYLES.map((s) => readFileSync(resolve(dir, s.file), 'utf8'));
      const job = heartJob();

      const raw = rawCenters(job, texts);
      const cleaned = cleanedCenters(job, texts);

      expect(pipelineOf(job, raw).featureNames).toEqual(pipelineOf(job, cleaned).featureNames);
      expect((await replayFederation(job, raw)).modelHash).toBe(
        (await replayFederation(job, cleaned)).modelHash,
      );
    },
    120_000,
  );
});
