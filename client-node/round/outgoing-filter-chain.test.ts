import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogWriter } from '../../common/audit/audit-log-writer.js';
import { generateSigningKeyPair } from '../../common/crypto/index.js';
import type { NoiseSource } from '../../common/dp/noise-source.js';
import { HeflError } from '../../common/errors/index.js';
import { encodeWeightedUpdate } from '../../common/fl/weighted-update.js';
import { CiphertextAdder } from '../../common/he/ciphertext-adder.js';
import type { CiphertextBatch } from '../../common/he/ciphertext-batch.js';
import { getProfile } from '../../common/he/he-profile.js';
import { PlaintextSiteCipher } from '../../common/he/plaintext-insecure.js';
import { SiteCipher } from '../../common/he/site-cipher.js';
import { DpUpdateFilter } from '../privacy/dp-update-filter.js';
import { FileSiteAudit, type SiteAudit } from '../site-audit.js';
import type { OutgoingFilter } from './outgoing-filter.js';
import { outgoingFilterChain } from './outgoing-filter-chain.js';
import type { OutgoingFilterContext, OutgoingUpdate } from './outgoing-update.js';
import { runOutgoingFilters } from './run-outgoing-filters.js';
import { updateSection } from './update-section.js';

const PROFILE = getProfile('bgv-n2048-q54-t38/v1');
const ZERO_NOISE: NoiseSource = { nextGaussian: () => 0 };
const CONTEXT: OutgoingFilterContext = { jobId: 'job-1', round: 3, attempt: 1, samples: 40, mask: undefined };
const JOB = { weightCap: 100, clipRange: 0.5 };

function memoryAudit() {
  const entries: { action: string; details: Record<string, unknown> }[] = [];
  const audit: SiteAudit = {
    record: (action, details) => entries.push({ action, details }),
    recordHead: () => {},
    headJson: () => new Uint8Array(),
  };
  return { audit, entries };
}

const noLog = () => {};

/** A filter that adds `by` to every value of a delta and says so. */
function addFilter(name: string, by: number, calls: string[]): OutgoingFilter {
  return {
    name,
    apply(update) {
      calls.push(name);
      if (update.stage !== 'delta') throw new Error('expected a delta');
      return {
        update: { stage: 'delta', delta: update.delta.map((v) => v + by) },
        facts: { valueCount: update.delta.length },
      };
    },
  };
}

function failingFilter(name: string, error: Error): OutgoingFilter {
  return {
    name,
    apply() {
      throw error;
    },
  };
}

function deltaOf(update: OutgoingUpdate): number[] {
  if (update.stage !== 'delta') throw new Error(`expected a delta, got ${update.stage}`);
  return Array.from(update.delta);
}

describe('runOutgoingFilters', () => {
  it('runs the filters in order, each on the previous one output, one audit entry per filter', () => {
    const calls: string[] = [];
    const { audit, entries } = memoryAudit();
    const { update, steps } = runOutgoingFilters(
      [addFilter('first', 1, calls), addFilter('second', 10, calls), addFilter('third', 100, calls)],
      { stage: 'delta', delta: Float32Array.of(0, 2) },
      CONTEXT,
      { audit, log: noLog },
    );
    expect(calls).toEqual(['first', 'second', 'third']);
    expect(deltaOf(update)).toEqual([111, 113]);
    expect(steps.map((s) => s.filter)).toEqual(['first', 'second', 'third']);
    expect(entries).toEqual(
      ['first', 'second', 'third'].map((filter, step) => ({
        action: 'site.update-filtered',
        details: { jobId: 'job-1', round: 3, attempt: 1, step, filter, valueCount: 2 },
      })),
    );
  });

  it('stops at a failing filter with an error naming it, records the failure, runs nothing after it', () => {
    const calls: string[] = [];
    const { audit, entries } = memoryAudit();
    const logged: string[] = [];
    let thrown: unknown;
    try {
      runOutgoingFilters(
        [
          addFilter('first', 1, calls),
          failingFilter('broken', new HeflError('invalid_argument', 'norm is not finite')),
          addFilter('after', 1, calls),
        ],
        { stage: 'delta', delta: Float32Array.of(1) },
        CONTEXT,
        { audit, log: (event) => logged.push(event) },
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HeflError);
    expect((thrown as HeflError).code).toBe('invalid_argument');
    expect((thrown as HeflError).message).toBe(
      'round 3: outgoing filter "broken" failed: norm is not finite',
    );
    expect(calls).toEqual(['first']);
    expect(entries.map((e) => e.details)).toEqual([
      { jobId: 'job-1', round: 3, attempt: 1, step: 0, filter: 'first', valueCount: 1 },
      { jobId: 'job-1', round: 3, attempt: 1, step: 1, filter: 'broken', failed: 'norm is not finite' },
    ]);
    expect(logged).toEqual(['update.filter-failed']);
  });

  it('reports a failure that is not a HeflError as internal, still naming the filter', () => {
    const { audit } = memoryAudit();
    expect(() =>
      runOutgoingFilters(
        [failingFilter('buggy', new TypeError('x is undefined'))],
        { stage: 'delta', delta: Float32Array.of(1) },
        CONTEXT,
        { audit, log: noLog },
      ),
    ).toThrow(expect.objectContaining({ code: 'internal', message: expect.stringContaining('"buggy"') }));
  });
});

describe("the site's outgoing filter chain (real node-seal)", () => {
  let cipher: SiteCipher;
  let adder: CiphertextAdder;
  let dir: string;
  beforeAll(async () => {
    cipher = await SiteCipher.generate(PROFILE, { clipRange: JOB.clipRange, maxSites: 4 });
    adder = await CiphertextAdder.create(PROFILE);
    dir = mkdtempSync(join(tmpdir(), 'hefl-outgoing-'));
  });
  afterAll(() => {
    cipher.delete();
    adder.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  const decryptOne = (batch: CiphertextBatch) => {
    const sum = adder.startSum(batch.valueCount);
    sum.add(batch);
    const result = cipher.decrypt(sum.result(), 1);
    sum.delete();
    return Array.from(result);
  };

  it('is clip + noise, weight, quantise, encrypt under DP with BGV; weight, encrypt without DP in plaintext', () => {
    const dp = new DpUpdateFilter({ clipNorm: 1, noiseMultiplier: 1, noiseShares: 2 }, ZERO_NOISE);
    expect(outgoingFilterChain({ dp, cipher, job: JOB }).map((f) => f.name)).toEqual([
      'dp-gaussian',
      'weight',
      'quantise',
      'encrypt',
    ]);
    const plain = new PlaintextSiteCipher();
    expect(outgoingFilterChain({ dp: null, cipher: plain, job: JOB }).map((f) => f.name)).toEqual([
      'weight',
      'encrypt',
    ]);
  });

  it('sends what weighting and encrypting inline sent, with one signed site-log entry per filter and no values', () => {
    const delta = Float32Array.of(0.2, -0.9, 0.4, 0.05, -0.3);
    const samplesContext = { ...CONTEXT, samples: 250 }; // above the cap: w = 1, so -0.9 hits the clip range
    const signer = generateSigningKeyPair();
    const writer = AuditLogWriter.open(join(dir, 'audit.jsonl'), signer);
    const audit = new FileSiteAudit(writer, signer.publicKey);
    const logged: { event: string; fields: Record<string, unknown> }[] = [];
    const section = updateSection(
      outgoingFilterChain({ dp: null, cipher, job: JOB }),
      delta,
      samplesContext,
      {
        audit,
        log: (event, fields) => logged.push({ event, fields }),
      },
    );
    writer.close();

    const inline = cipher.encrypt(encodeWeightedUpdate(delta, 250, JOB.weightCap, JOB.clipRange));
    expect(section.name).toBe('update');
    expect(decryptOne(section.batch)).toEqual(decryptOne(inline.batch));
    expect(inline.clipped).toBe(1);
    expect(logged).toEqual([{ event: 'update.clipped', fields: { job: 'job-1', round: 3, values: 1 } }]);

    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n');
    const details = lines.map((l) => JSON.parse(l) as { action: string; details: Record<string, unknown> });
    expect(details.map((d) => d.action)).toEqual(Array(3).fill('site.update-filtered'));
    expect(details.map((d) => d.details.filter)).toEqual(['weight', 'quantise', 'encrypt']);
    expect(details[0]!.details).toMatchObject({
      valueCount: 5,
      valueCountOut: 6,
      weighting: 'samples-capped',
    });
    expect(details[1]!.details).toMatchObject({ valueCount: 6, clipRange: 0.5, clipped: 1 });
    expect(details[2]!.details).toMatchObject({ profile: PROFILE.id, valueCount: 6, masked: false });
    // sizes, counts and settings only: every detail is a string, a boolean or a single number
    for (const d of details)
      for (const value of Object.values(d.details))
        expect(['string', 'number', 'boolean']).toContain(typeof value);
  });

  it('under DP the update is clipped and noised first and weighted uniformly', () => {
    const dp = new DpUpdateFilter({ clipNorm: 1, noiseMultiplier: 1, noiseShares: 2 }, ZERO_NOISE);
    const { audit, entries } = memoryAudit();
    const logged: string[] = [];
    const delta = Float32Array.of(0.6, 0.8, 0); // norm 1: kept (up to the clip margin)
    const section = updateSection(outgoingFilterChain({ dp, cipher, job: JOB }), delta, CONTEXT, {
      audit,
      log: (event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
    });
    expect(entries.map((e) => e.details.filter)).toEqual(['dp-gaussian', 'weight', 'quantise', 'encrypt']);
    expect(entries[0]!.details).toMatchObject({ clipNorm: 1, noiseMultiplier: 1, noiseShares: 2 });
    expect(entries[1]!.details).toMatchObject({ weighting: 'uniform' });
    expect(logged).toContain('update.filtered {"job":"job-1","round":3,"filters":["dp-gaussian"]}');
    // w = 1 although the site has 40 of 100 samples: the weight slot is the clip range itself.
    expect(decryptOne(section.batch).at(-1)).toBeCloseTo(JOB.clipRange, 6);
  });

  it('a non-finite update stops at the quantiser with a named error, and nothing is encrypted', () => {
    const { audit, entries } = memoryAudit();
    expect(() =>
      updateSection(
        outgoingFilterChain({ dp: null, cipher, job: JOB }),
        Float32Array.of(0.1, Number.NaN),
        CONTEXT,
        { audit, log: noLog },
      ),
    ).toThrow('round 3: outgoing filter "quantise" failed: weighted update value at index 1 is not finite');
    expect(entries.map((e) => [e.details.filter, e.details.failed !== undefined])).toEqual([
      ['weight', false],
      ['quantise', true],
    ]);
  });
});
