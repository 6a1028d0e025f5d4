import { describe, expect, it } from 'vitest';
import { GLM_ENCODING, glmVectorLength } from '../../common/fl/glm-layout.js';
import { glmCoefficientCount } from '../../common/fl/round-lengths.js';
import { PlaintextSiteCipher } from '../../common/he/plaintext-insecure.js';
import type { ColumnSpec } from '../data/csv-table.js';
import { FeaturePipeline } from '../data/feature-pipeline.js';
import { computeLocalStats } from '../data/feature-stats.js';
import { parseCsv } from '../data/parse-csv.js';
import { GlmJob } from './glm-job.js';

const SCHEMA: ColumnSpec[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'cp', kind: 'categorical' },
];
const OPTIONS = { salt: 'glm-job-test' };

describe('GlmJob: the section has the job’s fixed length whatever categories occur', () => {
  it('pads a hashed column’s filled buckets to the fixed 64-bucket coefficient count, and applies the padded sum', () => {
    const rows = ['age,cp,y'];
    for (let i = 0; i < 60; i++)
      rows.push(`${30 + ((i * 7) % 40)},${['a', 'b', 'c'][i % 3]},${(i * 5) % 3 === 0 ? 1 : 0}`);
    const table = parseCsv(rows.join('\n'), 'site.csv', { label: 'y', categorical: ['cp'] }).table;
    const pipeline = FeaturePipeline.fromGlobalStats(
      SCHEMA,
      computeLocalStats(table, SCHEMA, OPTIONS),
      OPTIONS,
    );
    const glm = new GlmJob({ kind: 'glm', family: 'binomial', tolerance: 1e-10 }, 5);
    const cipher = new PlaintextSiteCipher();

    glm.prepare(pipeline, [table]);
    const section = glm.section(cipher);
    const report = glm.apply(cipher, [section], 1, 1);

    // intercept + age + 63 non-reference buckets, whichever 3 (or fewer, on a collision) are filled.
    expect(glmCoefficientCount(SCHEMA)).toBe(65);
    expect(section.batch.valueCount).toBe(glmVectorLength(65) * GLM_ENCODING.limbs);
    expect(report.error).toBeNull();
    expect(Number.isFinite(report.deviance)).toBe(true);
  });
});
