import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BenchHe, createBenchHe, drain, JobBench } from '../../test/support/job-bench/job-bench.js';
import { SqliteJobStore } from './sqlite-job-store.js';

// What a running job writes to the real SQLite store (in memory) is what a restart reads back.

let he: BenchHe;
beforeAll(async () => {
  he = await createBenchHe();
});
afterAll(() => he.delete());

const stores: SqliteJobStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

const ALL = ['site-a', 'site-b', 'site-c'];

function running(): { bench: JobBench; store: SqliteJobStore } {
  const store = new SqliteJobStore(':memory:');
  stores.push(store);
  const bench = new JobBench(he, { store, spec: { rounds: 2 } });
  bench.start();
  bench.recruit();
  return { bench, store };
}

describe('SqliteJobStore, as the job controller writes it', () => {
  it('keeps the job, its decisions, a closed round with its summary, the uploads and the reports', async () => {
    const { bench, store } = running();
    await bench.uploadAll(ALL);
    for (const site of ALL) bench.report(site, 0);

    const [graph] = store.loadAll();

    expect(store.loadAll()).toHaveLength(1);
    expect(graph!.job).toMatchObject({ id: 'job-bench', state: 'running', accepted: ALL, dealer: 'site-a' });
    expect(graph!.decisions.map((d) => [d.siteId, d.accept])).toEqual(ALL.map((s) => [s, true]));
    expect(graph!.rounds.map((r) => [r.round, r.state])).toEqual([
      [0, 'closed'],
      [1, 'collecting'],
    ]);
    const round0 = bench.controller.rounds[0]!;
    expect(Buffer.from(graph!.rounds[0]!.summary!.payload)).toEqual(Buffer.from(round0.summary!.payload));
    expect(graph!.rounds[0]!.aggregateDigest).toBe(round0.aggregateDigest);
    expect(graph!.uploads.map((u) => [u.round, u.siteId, u.updateDigest])).toEqual(
      ALL.map((s) => [0, s, round0.uploads.get(s)!.updateDigest]),
    );
    expect(graph!.reports.map((r) => [r.round, r.siteId, r.modelHash])).toEqual(
      ALL.map((s) => [0, s, 'model-hash-1']),
    );
  });

  it('after a re-run keeps the new attempt only: the failed attempt’s uploads and reports are gone', async () => {
    const { bench, store } = running();
    await bench.uploadAll(ALL);
    for (const site of ['site-a', 'site-b'])
      bench.report(site, 0, { aggregateInvalid: true, invalidReason: 'sum check failed' });
    await drain();

    const [graph] = store.loadAll();

    expect(graph!.rounds).toEqual([expect.objectContaining({ round: 0, attempt: 1, state: 'collecting' })]);
    expect(graph!.uploads).toEqual([]);
    expect(graph!.reports).toEqual([]);
  });

  it('keeps a late joiner’s key request, then the grant that answers it', async () => {
    const { bench, store } = running();
    bench.admit('site-d');
    bench.connect('site-d', false);
    bench.decide('site-d');
    const requested = store.loadAll()[0]!.keyGrants;
    await bench.uploadAll(ALL);
    for (const site of ALL) bench.report(site, 0);
    const grant = bench.bundleOf('site-a', ['site-d']);
    bench.controller.postKeyBundle('site-a', grant.bundle, grant.envelope);

    const granted = store.loadAll()[0]!.keyGrants;

    expect(requested).toEqual([expect.objectContaining({ siteId: 'site-d', bundle: undefined })]);
    expect(granted).toEqual([expect.objectContaining({ siteId: 'site-d', grantedBy: 'site-a' })]);
    expect(Buffer.from(granted[0]!.bundle!.payload)).toEqual(Buffer.from(grant.envelope.payload));
  });
});
