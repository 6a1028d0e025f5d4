import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { createAdder } from '../../common/he/create-adder.js';
import type { Clock } from '../../common/time/clock.js';
import { syntheticJob, syntheticRoundLengths } from '../../test/support/synthetic-job.js';
import { StaticMemberDirectory } from '../members/member-directory.js';
import { MemoryAuditSink } from '../storage/audit-sink.js';
import { FileBlobStore } from '../storage/blob-store.js';
import { MemoryJobStore, type StoredJobGraph, type StoredRound } from '../storage/job-store.js';
import { JobController } from './job-controller.js';
import { JobRegistry } from './job-registry.js';
import { JOB_STATES, parseJobState } from './job-state.js';
import { TaskHub } from './task-hub.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Time stands still and nothing fires: restore must not need a timer. */
const stillClock: Clock = { now: () => 1_000_000, schedule: () => ({ cancel() {} }) };

const JOB = syntheticJob({ rounds: 1, minSites: 2 });

function storedGraph(state: string, rounds: StoredRound[] = []): StoredJobGraph {
  const job = JOB;
  const empty = Buffer.alloc(0);
  return {
    job: {
      id: 'job-stored',
      specJson: job.canonical,
      submittedBy: 'researcher-1',
      researcherSealingKey: new Uint8Array(32),
      submission: { payload: empty, signature: empty, signerPublicKey: empty },
      state,
      reason: '',
      accepted: ['site-a', 'site-b'],
      offeredTo: ['site-a', 'site-b'],
      dealer: 'site-a',
      keyBundle: undefined,
      roundLayoutJson: JSON.stringify(syntheticRoundLengths(JOB)),
    },
    decisions: [],
    rounds,
    uploads: [],
    reports: [],
    releases: [],
    keyGrants: [],
  };
}

async function deps(graphs: StoredJobGraph[]) {
  const dir = mkdtempSync(join(tmpdir(), 'hefl-job-state-'));
  dirs.push(dir);
  const coordinator = generateSigningKeyPair();
  const audit = new MemoryAuditSink();
  return {
    audit,
    deps: {
      clock: stillClock,
      blobs: await FileBlobStore.open(join(dir, 'blobs')),
      audit,
      hub: new TaskHub(),
      members: new StaticMemberDirectory([], { withoutPeerCertificates: true }),
      keys: { signingPublicKey: coordinator.publicKey, signingSecretKey: coordinator.secretKey },
      store: Object.assign(new MemoryJobStore(), { loadAll: () => graphs }),
    },
  };
}

describe('parseJobState', () => {
  it('takes back every state a job can be stored in', () => {
    for (const state of JOB_STATES) expect(parseJobState(state)).toBe(state);
  });

  it('refuses any other text with an integrity error naming it', () => {
    const error = (() => {
      try {
        parseJobState('paused');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(HeflError);
    expect((error as HeflError).code).toBe('integrity');
    expect((error as HeflError).message).toContain('"paused"');
  });
});

describe('JobController.restore', () => {
  it('rebuilds a stored job in its stored state, without arming anything', async () => {
    const { deps: d } = await deps([]);
    const adder = await createAdder(JOB.spec.he.profile);
    const job = await JobController.restore({ ...d, adder }, storedGraph('keying'));
    expect({ id: job.id, state: job.state, accepted: job.accepted, dealer: job.dealer }).toEqual({
      id: 'job-stored',
      state: 'keying',
      accepted: ['site-a', 'site-b'],
      dealer: 'site-a',
    });
  });

  it('a stored job whose state is unknown is refused by name, not served in that state', async () => {
    const { deps: d, audit } = await deps([storedGraph('paused')]);
    const registry = new JobRegistry(d, createAdder);

    await registry.restore(0);

    expect(() => registry.get('job-stored')).toThrow(/unknown job state "paused"/);
    expect(audit.entries.map((e) => [e.action, String(e.details.reason)])).toEqual([
      ['job.refused', expect.stringContaining('unknown job state "paused"')],
    ]);
  });

  it('a stored round whose state is unknown is refused by name', async () => {
    const round: StoredRound = {
      round: 0,
      participants: ['site-a', 'site-b'],
      openedAt: 0,
      deadline: 60_000,
      state: 'half-closed',
      closedAt: undefined,
      layoutJson: undefined,
      absentJson: '[]',
      summary: undefined,
      aggregateDigest: undefined,
      aggregateBytes: 0,
    };
    const { deps: d } = await deps([storedGraph('running', [round])]);
    const registry = new JobRegistry(d, createAdder);

    await registry.restore(0);

    expect(() => registry.get('job-stored')).toThrow(/unknown stored round state "half-closed"/);
  });
});
