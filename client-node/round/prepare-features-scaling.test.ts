import { describe, expect, it } from 'vitest';
import { createAdder } from '../../common/he/create-adder.js';
import { generateSiteCipher } from '../../common/he/create-cipher.js';
import { featureSalt, parseJobSpec } from '../../common/job/job-spec.js';
import { computeLocalStats, type SiteTable } from '../data/index.js';
import { exactSection } from '../round-sections.js';
import { datasetFromRaw } from '../site-dataset.js';
import { prepareFeatures } from './prepare-features.js';

const PROFILE = 'bgv-n2048-q54-t38/v1';

/** A site whose x column is offset..offset+19, labels alternating. */
function site(offset: number, spec: ReturnType<typeof parseJobSpec>['spec']) {
  return datasetFromRaw(
    {
      source: `site-${offset}.csv`,
      columns: ['x', 'y'],
      columnsFrom: 'header',
      rows: Array.from({ length: 20 }, (_, i) => ({
        line: i + 2,
        cells: [String(offset + i), String(i % 2)],
      })),
    },
    spec,
  );
}

const columnMean = (x: Float32Array) => x.reduce((a, v) => a + v, 0) / x.length;

describe('data.scaling: per-site z-scores each site with its own training statistics', () => {
  for (const scaling of ['global', 'per-site'] as const) {
    it(`${scaling}: the low site's training column mean is ${scaling === 'global' ? 'far below 0' : '0'}`, async () => {
      const { spec } = parseJobSpec({
        model: { kind: 'logreg' },
        rounds: 1,
        minSites: 2,
        data: { label: 'y', scaling },
        he: { profile: PROFILE },
      });
      const low = site(0, spec);
      const high = site(1000, spec);
      const schema = low.train.featureColumns;
      const cipher = await generateSiteCipher(PROFILE, { clipRange: 1, maxSites: spec.maxSites });
      const adder = await createAdder(PROFILE);
      try {
        const stats = [low, high].map(
          (d) =>
            exactSection(
              cipher,
              'stats',
              computeLocalStats(d.train as SiteTable, schema, { salt: featureSalt(spec) }),
            ).batch,
        );
        const sum = adder.startSum(stats[0]!.valueCount);
        for (const s of stats) sum.add(s);
        const summed = sum.result();
        sum.delete();

        const prepared = prepareFeatures({
          cipher,
          sections: [{ name: 'stats', batch: summed }],
          contributors: 2,
          schema,
          spec,
          dataset: low,
          researcherKey: new Uint8Array(32),
        });

        const mean = columnMean(prepared.train.x);
        if (scaling === 'per-site') expect(Math.abs(mean)).toBeLessThan(1e-5);
        else expect(mean).toBeLessThan(-0.9);
        // The pipeline a model card carries stays the shared one either way.
        expect(prepared.pipeline.numeric[0]!.mean).toBeGreaterThan(400);
      } finally {
        adder.delete();
        cipher.delete();
      }
    });
  }
});
