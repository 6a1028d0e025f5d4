import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJobFile } from '../job/read-job-file.js';
import { simulationJobSpec } from './simulation-job-spec.js';
import type { SimulationOptions } from './simulation-options.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/jobs');

function jobFileOptions(job: SimulationOptions['job'], he: boolean): SimulationOptions {
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

    const withHe = simulationJobSpec(jobFileOptions(file, true), {
      label: 'num',
      categorical: undefined,
      sites: 4,
    });
    const without = simulationJobSpec(jobFileOptions(file, false), {
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

function options(extra: Partial<SimulationOptions> = {}): SimulationOptions {
  return {
    sites: 3,
    rounds: 2,
    model: { kind: 'logreg' },
    strategy: 'fedavg',
    he: true,
    seed: 42,
    local: { epochs: 1, learningRate: 0.1, batchSize: 32 },
    timeoutSeconds: 600,
    onProgress: () => {},
    ...extra,
  };
}

const data = (sites: number) => ({ label: 'y', categorical: undefined, sites });

describe('the job `hefl simulate` submits, at scale (issue 20)', () => {
  it('gives rounds and recruiting more time the more sites share the machine', () => {
    const small = simulationJobSpec(options(), data(3)).job.spec;
    const large = simulationJobSpec(options({ sites: 100 }), data(100)).job.spec;

    expect(small.roundDeadlineSeconds).toBe(63);
    expect(small.recruitSeconds).toBe(30);
    expect(large.roundDeadlineSeconds).toBe(160);
    expect(large.recruitSeconds).toBe(60);
  });

  it('keeps an explicit --round-deadline', () => {
    const spec = simulationJobSpec(options({ sites: 100, roundDeadlineSeconds: 30 }), data(100)).job.spec;

    expect(spec.roundDeadlineSeconds).toBe(30);
  });

  it('makes room for more than the job format’s default 100 sites', () => {
    const spec = simulationJobSpec(options({ sites: 150 }), data(150)).job.spec;

    expect(spec.minSites).toBe(150);
    expect(spec.maxSites).toBe(150);
  });
});
