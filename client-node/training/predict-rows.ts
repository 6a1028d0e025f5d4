import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { HeflError } from '../../common/errors/index.js';
import { FeaturePipeline } from '../data/feature-pipeline.js';
import type { RawTable } from '../data/raw-table.js';
import { siteTableForJob } from '../data/site-table-for-job.js';
import type { ModelCard } from '../model-release.js';

/** A released model as `hefl model fetch` wrote it: the tfjs model and its card. */
export interface LoadedModel {
  readonly model: tf.LayersModel;
  readonly card: ModelCard;
}

/**
 * Loads `model.json` + `weights.bin` + `model-card.json` from a folder written by
 * `hefl model fetch`, in plain Node (no tfjs-node, no file:// URL: `tf.io.fromMemory`).
 * The caller disposes `model`. Unreadable files are `invalid_argument`, naming the file.
 */
export async function loadReleasedModel(dir: string): Promise<LoadedModel> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (cause) {
      throw new HeflError('invalid_argument', `cannot read ${join(dir, name)}`, { cause });
    }
  };
  const modelJson = JSON.parse((await read('model.json')).toString('utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weights = await read('weights.bin');
  const card = JSON.parse((await read('model-card.json')).toString('utf8')) as ModelCard;
  if (!card.features?.pipeline || !card.features.data) {
    throw new HeflError(
      'invalid_data',
      `${join(dir, 'model-card.json')}: no feature schema (a model card from an older hefl)`,
    );
  }
  if (card.features.data.scaling === 'per-site') {
    // Each site trained on its own numeric scaling; the card's pipeline carries the global
    // one, which no site trained with: predictions through it would be silently off-scale.
    throw new HeflError(
      'invalid_data',
      `${join(dir, 'model-card.json')}: the job scaled numeric features per site (data.scaling: per-site), so the model has no one scaling to apply to new records; hefl model predict refuses it (train with data.scaling: global for a model to deploy)`,
    );
  }
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((m) => m.weights),
      weightData: weights.buffer.slice(
        weights.byteOffset,
        weights.byteOffset + weights.byteLength,
      ) as ArrayBuffer,
    }),
  );
  return { model, card };
}

/** One prediction per row the job's data rules keep: its input line and the model's probability. */
export interface Predictions {
  readonly lines: readonly number[];
  readonly probabilities: Float32Array;
}

/**
 * Applies a released model to new rows exactly as the sites prepared theirs: the card's data
 * section (missing rule, code normalisation, declared schema) and frozen feature transform.
 * The label column may be absent. Rows the job's rules drop get no prediction. Values the
 * schema refuses are `invalid_data` naming the column, never a value.
 */
export function predictRows(loaded: LoadedModel, raw: RawTable): Predictions {
  const { data } = loaded.card.features;
  const withLabel: RawTable = raw.columns.includes(data.label)
    ? raw
    : {
        ...raw,
        columns: [...raw.columns, data.label],
        rows: raw.rows.map((r) => ({ ...r, cells: [...r.cells, '0'] })),
      };
  const table = siteTableForJob(withLabel, data);
  if (table.problems.length > 0)
    throw new HeflError('invalid_data', table.problems.map((p) => p.message).join('; '));
  const pipeline = FeaturePipeline.fromJSON(loaded.card.features.pipeline);
  const { x, rows, cols } = pipeline.transform(table.table);
  const probabilities = tf.tidy(() => {
    const out = loaded.model.predict(tf.tensor2d(x, [rows, cols])) as tf.Tensor;
    return Float32Array.from(out.dataSync());
  });
  return { lines: table.table.lines ?? [], probabilities };
}
