import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeflError } from '../../common/errors/index.js';
import type { ReleasedModel } from './open-model-release.js';

export interface ReleasedModelFiles {
  readonly model: string;
  readonly weights: string;
  readonly card: string;
}

/**
 * Writes a released model into `out` (created): `model.json` + `weights.bin` (TensorFlow.js
 * layers format, for `tf.loadLayersModel`) and `model-card.json`. Never overwrites a model
 * already there: that is `already_exists`, naming the folder.
 */
export async function writeReleasedModel(released: ReleasedModel, out: string): Promise<ReleasedModelFiles> {
  await mkdir(out, { recursive: true });
  const files = {
    model: join(out, 'model.json'),
    weights: join(out, 'weights.bin'),
    card: join(out, 'model-card.json'),
  };
  try {
    // A GLM release has no TensorFlow.js model: its card holds the table; weights.bin the coefficients.
    if (!released.card.glm) await writeFile(files.model, released.modelJson, { flag: 'wx' });
    await writeFile(files.weights, released.weights, { flag: 'wx' });
    await writeFile(files.card, `${JSON.stringify(released.card, null, 2)}\n`, { flag: 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new HeflError('already_exists', `${out} already holds a model; choose an empty --out folder`, {
        cause,
      });
    }
    throw cause;
  }
  return files;
}
