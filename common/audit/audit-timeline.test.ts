import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import type { AuditEntry } from './audit-entry.js';
import { formatEntry, readTimeline } from './audit-timeline.js';
import { writeSampleFederationLog } from './write-sample-federation-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hefl-audit-timeline-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function collect(iterable: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

describe('readTimeline', () => {
  it('filters by job, round and site', async () => {
    const fed = writeSampleFederationLog(dir, { rounds: 3 });
    const site = fed.siteIds[2]!;

    const all = await collect(readTimeline(fed.coordinatorLog));
    const round2 = await collect(readTimeline(fed.coordinatorLog, { job: 'job-heart-1', round: 2 }));
    const bySite = await collect(readTimeline(fed.coordinatorLog, { site, round: 1 }));
    const otherJob = await collect(readTimeline(fed.coordinatorLog, { job: 'nope' }));

    expect(all).toHaveLength(fed.entries);
    expect(round2.map((e) => e.action)).toEqual([
      'round.opened',
      'update.accepted',
      'update.accepted',
      'update.accepted',
      'update.refused',
      'round.closed',
      'round.reported',
    ]);
    expect(bySite.map((e) => e.action)).toEqual(['update.accepted', 'round.closed']);
    expect(otherJob).toEqual([]);
  });

  it('names the line of a malformed entry', async () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, 'not json\n');

    await expect(collect(readTimeline(path))).rejects.toSatisfy(
      (e) => HeflError.is(e, 'invalid_data') && /bad\.jsonl:1: not valid JSON/.test(e.message),
    );
  });
});

describe('formatEntry', () => {
  it('prints time, seq, short actor, action and short details on one line', async () => {
    const fed = writeSampleFederationLog(dir, { rounds: 1 });
    const entries = await collect(readTimeline(fed.coordinatorLog));
    const accepted = entries.find((e) => e.action === 'update.accepted')!;

    const line = formatEntry(accepted);

    expect(line).not.toContain('\n');
    expect(line).toMatch(
      new RegExp(
        `^2025-03-01T\\S+Z  #${accepted.seq}  ${fed.siteIds[0]!.slice(0, 12)}…  update.accepted \\(after #\\d+\\)  .*round=1 .*updateDigest=[0-9a-f]{12}… bytes=7600000`,
      ),
    );
  });
});
