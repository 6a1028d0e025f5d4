import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../common/crypto/index.js';
import { createAdder } from '../../common/he/create-adder.js';
import type { Clock } from '../../common/time/clock.js';
import { syntheticJob } from '../../test/support/synthetic-job.js';
import { MemoryAuditSink } from '../storage/audit-sink.js';
import { FileBlobStore } from '../storage/blob-store.js';
import { MemoryJobStore } from '../storage/job-store.js';
import { RoundAggregation } from './round-aggregation.js';
import { RoundRecord } from './round-record.js';

const dir = mkdtempSync(join(tmpdir(), 'hefl-hold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clock: Clock = { now: () => 5_000, schedule: () => ({ cancel() {} }) };

describe('holdAggregation (injected fault)', () => {
  it('holds a closing round in aggregating, writing and signing nothing, until the test lets it go', async () => {
    const job = syntheticJob({ rounds: 1, minSites: 1 });
    const round = new RoundRecord(0, [], 0, 60_000);
    const audit = new MemoryAuditSink();
    const held: { jobId: string; round: number }[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const signing = generateSigningKeyPair();
    const aggregation = new RoundAggregation(
      {
        clock,
        blobs: await FileBlobStore.open(join(dir, 'blobs')),
        audit,
        keys: { signingPublicKey: signing.publicKey, signingSecretKey: signing.secretKey },
        adder: await createAdder(job.spec.he.profile),
        store: new MemoryJobStore(),
        holdAggregation: (r) => {
          held.push({ ...r });
          return gate;
        },
      },
      {
        id: 'job-1',
        spec: job.spec,
        state: 'running',
        currentRound: round,
        rounds: [round],
        roundLengths: undefined,
        isFinished: () => false,
      },
      () => {},
    );

    const closing = aggregation.close(round);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(held).toEqual([{ jobId: 'job-1', round: 0 }]);
    expect(round.state).toBe('aggregating');
    expect(audit.entries.map((e) => e.action)).toEqual([]);

    release();
    const summary = await closing;

    expect(summary).toBeDefined();
    expect(round.state).toBe('closed');
    expect(audit.entries.map((e) => e.action)).toEqual(['round.closed']);
  });
});
