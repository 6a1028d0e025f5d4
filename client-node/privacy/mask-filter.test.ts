import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import type { SiteAudit } from '../site-audit.js';
import { MaskFilter } from './mask-filter.js';

const T = 274877562881n;

function filterFor(minSites: number) {
  const ids = ['a', 'b', 'c', 'd'];
  const pairs = new Map(
    ids.map((id, i) => [id, nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(i + 1))]),
  );
  const entries: { action: string; details: Record<string, unknown> }[] = [];
  const audit: SiteAudit = {
    record: (action, details) => entries.push({ action, details }),
    recordHead: () => {},
    headJson: () => new Uint8Array(),
  };
  const own = pairs.get('a')!;
  const filter = new MaskFilter(
    {
      keys: {
        siteId: 'a',
        signingPublicKey: new Uint8Array(32),
        signingSecretKey: new Uint8Array(64),
        sealingPublicKey: own.publicKey,
        sealingSecretKey: own.secretKey,
      },
      federation: {
        coordinatorSigningKey: new Uint8Array(32),
        memberBySigningKey: () => undefined,
        siteSealingKey: (id) => pairs.get(id)?.publicKey,
      },
      audit,
    },
    { jobId: 'job-1', minSites },
  );
  return { filter, entries };
}

describe('MaskFilter', () => {
  it('masks every section over a large enough member set', () => {
    const { filter, entries } = filterFor(3);
    const mask = filter.forRound(2, 0, ['a', 'b', 'c'], T);
    expect(mask('update', 5)!.length).toBe(5);
    expect(Array.from(mask('update', 5)!)).not.toEqual(Array.from(mask('metrics', 5)!));
    expect(entries).toEqual([]);
  });

  it.each([
    { members: ['a', 'b'], minSites: 2, reason: /at least 3/ },
    { members: ['a', 'b', 'c'], minSites: 4, reason: /at least 4/ },
    { members: ['b', 'c', 'd'], minSites: 3, reason: /does not list this site/ },
    { members: ['a', 'b', 'mallory'], minSites: 3, reason: /without a key/ },
  ])('refuses $members (minSites $minSites) and records it in the site audit log', (c) => {
    const { filter, entries } = filterFor(c.minSites);
    expect(() => filter.forRound(2, 1, c.members, T)).toThrow(c.reason);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.action).toBe('site.mask-refused');
    expect(entries[0]!.details).toMatchObject({ jobId: 'job-1', round: 2, attempt: 1 });
  });
});
