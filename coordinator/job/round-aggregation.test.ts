import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, merkleRoot, sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { openMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { Receipt, RoundSummary } from '../../proto/gen/hefl/v1/messages.js';
import { type BenchHe, createBenchHe, drain, JobBench } from '../../test/support/job-bench/job-bench.js';

// Aggregation with the REAL node-seal adder: the coordinator adds ciphertexts it cannot
// read; the test decrypts the aggregate with the sites' key and checks the sum.

let he: BenchHe;
beforeAll(async () => {
  he = await createBenchHe();
});
afterAll(() => he.delete());

const ALL = ['site-a', 'site-b', 'site-c'];

function running(spec: Record<string, unknown> = {}): JobBench {
  const bench = new JobBench(he, { spec });
  bench.start();
  bench.recruit();
  return bench;
}

describe('RoundAggregation (real HE adder)', () => {
  it('the round-0 aggregate decrypts to the sum of the sites’ statistics', async () => {
    const bench = running();

    await bench.upload('site-a', { value: 1.5 });
    await bench.upload('site-b', { value: 2.25 });
    await bench.uploadAll(['site-c'], -0.75);

    const stats = await bench.aggregateOf(0, 'stats');
    expect(Array.from(stats)).toEqual([3, 3, 3]);
  });

  it('a training round’s update aggregate decrypts to the sum of the contributors’ updates only', async () => {
    const bench = running();
    await bench.uploadAll(ALL);
    for (const site of ALL) bench.report(site, 0);

    await bench.upload('site-a', { value: 0.5 });
    await bench.upload('site-b', { value: 0.125 });
    bench.clock.advance(60_000); // site-c straggles: not in the sum
    await bench.roundClosed();

    const update = await bench.aggregateOf(1, 'update');
    expect(update[0]).toBeCloseTo(0.625, 5);
    expect(update[1]).toBeCloseTo(0.625, 5);
    expect(update[2]).toBeCloseTo(2, 5);
  });

  it('signs a receipt per update that names the SHA-256 of the signed header and verifies under the coordinator key', async () => {
    const bench = running();
    const update = await bench.updateOf('site-b');

    const receipt = await bench.controller.acceptUpload(
      'site-b',
      update.header,
      update.envelope.payload,
      update.layout,
      update.blob,
    );

    const { message } = openMessage(SigningContext.receipt, Receipt, receipt, (key) =>
      bytesEqual(key, bench.keys.signingPublicKey),
    );
    expect(message).toMatchObject({
      jobId: 'job-bench',
      round: 0,
      siteId: 'site-b',
      byteLength: update.blob.size,
    });
    expect(toHex(message.updateDigest)).toBe(toHex(sha256(update.envelope.payload)));
    expect(bench.entries('update.accepted')).toEqual([
      expect.objectContaining({ site: 'site-b', updateDigest: toHex(sha256(update.envelope.payload)) }),
    ]);
  });

  it('signs a summary whose Merkle root covers the contributors’ update digests in site order', async () => {
    const bench = running();
    const digests = new Map<string, string>();
    for (const site of ['site-c', 'site-a', 'site-b']) {
      const update = await bench.updateOf(site);
      digests.set(site, toHex(sha256(update.envelope.payload)));
      await bench.controller.acceptUpload(
        site,
        update.header,
        update.envelope.payload,
        update.layout,
        update.blob,
      );
    }
    await bench.roundClosed();

    const round = bench.controller.rounds[0]!;
    const { message } = openMessage(SigningContext.roundSummary, RoundSummary, round.summary, (key) =>
      bytesEqual(key, bench.keys.signingPublicKey),
    );
    const ordered = ALL.map((s) => digests.get(s)!);
    expect(message.participants).toEqual(ALL);
    expect(message.updateDigests.map(toHex)).toEqual(ordered);
    expect(toHex(message.merkleRoot)).toBe(toHex(merkleRoot(ordered.map((d) => Buffer.from(d, 'hex')))));
    expect(toHex(message.aggregateDigest)).toBe(round.aggregateDigest);
    expect(bench.entries('round.closed')[0]).toMatchObject({ merkleRoot: toHex(message.merkleRoot) });
  });

  it('refuses an update whose bytes do not frame as its header declares, leaving the round’s sums untouched', async () => {
    const bench = running();
    const update = await bench.updateOf('site-a');
    const bytes = await bench.blobs.read(update.blob.digest);
    const blob = await bench.blobs.put(bytes.subarray(0, bytes.length - 16));

    let code = '';
    try {
      await bench.controller.acceptUpload(
        'site-a',
        update.header,
        update.envelope.payload,
        update.layout,
        blob,
      );
    } catch (error) {
      code = error instanceof HeflError ? error.code : String(error);
    }

    expect(code).toBe('malformed_ciphertext');
    expect(bench.controller.currentRound?.uploads.size).toBe(0);
    expect(bench.actions()).not.toContain('update.accepted');
    // the honest updates still sum correctly afterwards
    await bench.uploadAll(ALL, 1);
    expect(Array.from(await bench.aggregateOf(0, 'stats'))).toEqual([3, 3, 3]);
  });

  it('fails the job, audited once, when a closed round’s aggregate is damaged on disk', async () => {
    const bench = running({ rounds: 2 });
    const job = bench.controller;
    await bench.uploadAll(ALL);
    const round = job.rounds[0]!;
    bench.blobs.corrupt(round.aggregateDigest!);

    const read = async () => {
      for await (const _ of job.aggregateChunks(round, 1024));
    };
    await expect(read()).rejects.toThrow(/does not match its SHA-256 digest/);
    await expect(read()).rejects.toThrow(HeflError);

    expect(bench.entries('blob.damaged')).toEqual([
      expect.objectContaining({ round: 0, kind: 'aggregate', blobDigest: round.aggregateDigest }),
    ]);
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(/^round 0's aggregate blob [0-9a-f]{16} does not match/);
  });

  it('deletes the summed updates once the round is settled, and the aggregates once every site applied the last round', async () => {
    const bench = running();
    const job = bench.controller;
    await bench.uploadAll(ALL);
    const updates = [...job.rounds[0]!.uploads.values()].map((u) => u.blobDigest);
    for (const site of ALL) bench.report(site, 0);
    await drain();
    expect(updates.filter((d) => bench.blobs.digests().includes(d))).toEqual([]);

    for (let round = 1; round < 3; round++) {
      await bench.uploadAll(ALL);
      for (const site of ALL) bench.report(site, round);
    }
    await drain();

    expect(job.state).toBe('completed');
    expect(bench.blobs.digests()).toEqual([]);
  });
});
