import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJobFile } from '../job/read-job-file.js';
import { simulationJobSpec } from './simulation-job-spec.js';
import type { SimulationOptions } from './simulation-options.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/jobs');

function options(job: SimulationOptions['job'], he: boolean): SimulationOptions {
  return {
    sites: 4,
    rounds: 5,
    model: { kind: 'logreg' },
    strategy: 'fedavg',
    he,
    seed: 42,
    roundDeadlineSeconds: 60,
    local: { epochs: 2, learningRate: 0.1, batchSize: 32 },
    timeoutSeconds: 600,
    onProgress: () => {},
    ...(job ? { job } : {}),
  };
}

describe('hefl simulate --job FILE', () => {
  it('runs the job file as written (model, rounds, data), only the HE profile following --he', async () => {
    const file = await readJobFile(join(EXAMPLES, 'heart-disease-stats.yaml'));

    const withHe = simulationJobSpec(options(file, true), { label: 'num', categorical: undefined, sites: 4 });
    const without = simulationJobSpec(options(file, false), {
      label: 'num',
      categorical: undefined,
      sites: 4,
    });

    expect(withHe.job.spec).toEqual(file.spec);
    expect(withHe.job.hash).toBe(file.hash);
    expect(without.job.spec.model).toEqual(file.spec.model);
    expect(without.job.spec.rounds).toBe(1);
    expect(without.job.spec.he.profile).toBe('plaintext-insecure/v1');
  });
});
