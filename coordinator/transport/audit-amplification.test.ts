import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { Clock } from '../../common/time/clock.js';
import { JobDecision } from '../../proto/gen/hefl/v1/messages.js';
import { StaticMemberDirectory } from '../members/member-directory.js';
import { MemoryAuditSink } from '../storage/audit-sink.js';
import { RequestGuard } from './request-guard.js';

/** A clock the test moves by hand: timers fire when their time is passed. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    schedule(ms, fn) {
      const timer = { at: now + ms, fn, live: true };
      timers.push(timer);
      return { cancel: () => (timer.live = false) };
    },
    advance(ms) {
      now += ms;
      for (const t of timers) {
        if (t.live && t.at <= now) {
          t.live = false;
          t.fn();
        }
      }
    },
  };
}

function federation(revoked: boolean) {
  const signing = generateSigningKeyPair();
  const members = new StaticMemberDirectory(
    [
      {
        id: 'site-a',
        role: 'site',
        signingPublicKey: signing.publicKey,
        sealingPublicKey: generateBoxKeyPair().publicKey,
        revoked,
      },
    ],
    { withoutPeerCertificates: true },
  );
  const decision = (jobId: string) =>
    signMessage(
      SigningContext.jobDecision,
      JobDecision,
      { jobId, jobHash: 'h', siteId: 'site-a', accept: true, reason: '', nonce: randomBytes(16) },
      signing.secretKey,
    );
  return { members, decision };
}

function refuse(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (error instanceof HeflError) return;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('audit-log amplification', () => {
  it('1000 refused requests of a revoked site make 2 audit entries in a minute, and the count is never lost', () => {
    const { members, decision } = federation(true);
    const audit = new MemoryAuditSink();
    const clock = manualClock();
    const guard = new RequestGuard(members, audit, clock);

    const envelope = decision('job-1');

    for (let i = 0; i < 1000; i++)
      refuse(() => guard.open(SigningContext.jobDecision, JobDecision, envelope, 'site'));
    const inTheMinute = audit.entries.length;
    clock.advance(60_000);

    expect(inTheMinute).toBe(1);
    expect(audit.entries.map((e) => e.action)).toEqual(['request.refused', 'request.refused.repeated']);
    // A revoked key is no member any more: it is counted with the other keys outside the federation.
    expect(audit.entries[1]!.actor).toBe('unknown');
    expect(audit.entries[1]!.details).toMatchObject({
      refusals: 999,
      windowSeconds: 60,
      reasons: [
        {
          reason: expect.stringMatching(/^unauthenticated: .* signed by unknown key [0-9a-f]+$/),
          count: 999,
        },
      ],
    });
  });

  it('writes the counts still open when the coordinator stops', () => {
    const { members, decision } = federation(true);
    const audit = new MemoryAuditSink();
    const guard = new RequestGuard(members, audit, manualClock());

    const envelope = decision('job-1');
    for (let i = 0; i < 5; i++)
      refuse(() => guard.open(SigningContext.jobDecision, JobDecision, envelope, 'site'));
    guard.flushRefusals();

    expect(audit.entries.map((e) => [e.action, e.details.refusals])).toEqual([
      ['request.refused', undefined],
      ['request.refused.repeated', 4],
    ]);
  });

  it('cuts a 4 MiB client-supplied job id to a bounded length before it reaches the audit log', () => {
    const { members } = federation(false);
    const audit = new MemoryAuditSink();
    const guard = new RequestGuard(members, audit, manualClock());
    const hugeId = 'j'.repeat(4 * 1024 * 1024);

    guard.refused(undefined, 'upload', new HeflError('not_found', `no job ${hugeId}`), 'update.refused');

    const written = JSON.stringify(audit.entries);
    expect(written.length).toBeLessThan(1_000);
    expect(audit.entries[0]!.details.reason).toMatch(/^not_found: no job j+…\(4194\d+ more chars\)$/);
  });
});
