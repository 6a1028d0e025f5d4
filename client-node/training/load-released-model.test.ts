import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadReleasedModel } from './predict-rows.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function releasedFolder(data: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'hefl-released-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
  writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(0));
  writeFileSync(join(dir, 'model-card.json'), JSON.stringify({ features: { pipeline: {}, data } }));
  return dir;
}

describe('loading a released model for predictions', () => {
  it('refuses a model trained with per-site scaling, naming why, instead of applying the global scaling', async () => {
    const dir = releasedFolder({ label: 'y', scaling: 'per-site' });

    await expect(loadReleasedModel(dir)).rejects.toThrow(/data\.scaling: per-site.*refuses it/);
  });
});
