import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { SiteKey, Task } from '../../proto/gen/hefl/v1/services.js';
import type { RoundRecord } from './round-record.js';

// The tasks a job sends to sites over their task streams (see TaskHub): pure builders of the
// generated Task message around the signed envelopes it relays (README "Layout").

export function jobOfferTask(jobId: string, submission: SignedEnvelope, jobHash: string): Task {
  return { kind: { $case: 'jobOffer', value: { jobId, submission, jobHash } } };
}

export function keyCeremonyTask(jobId: string, sites: SiteKey[]): Task {
  return { kind: { $case: 'keyCeremony', value: { jobId, sites } } };
}

/** Asks a key holder to seal the job's key to `siteId`, whose signed acceptance is `decision`. */
export function keyGrantTask(jobId: string, siteId: string, decision: SignedEnvelope): Task {
  return { kind: { $case: 'keyGrant', value: { jobId, siteId, decision } } };
}

/** `dealerBundle`: the dealer's own bundle, sent along when `bundle` is another holder's copy. */
export function keyBundleTask(jobId: string, bundle: SignedEnvelope, dealerBundle?: SignedEnvelope): Task {
  return {
    kind: {
      $case: 'keyBundle',
      value: {
        jobId,
        bundle,
        dealerBundle: dealerBundle && dealerBundle !== bundle ? dealerBundle : undefined,
      },
    },
  };
}

export function roundOpenTask(jobId: string, round: RoundRecord): Task {
  return {
    kind: {
      $case: 'roundOpen',
      value: {
        jobId,
        round: round.round,
        participants: [...round.participants],
        deadlineMs: round.deadline,
        attempt: round.attempt,
      },
    },
  };
}

export function roundClosedTask(jobId: string, round: RoundRecord, summary: SignedEnvelope): Task {
  return { kind: { $case: 'roundClosed', value: { jobId, round: round.round, summary } } };
}

/** `auditHeadJson`: the coordinator's signed log head after recording the end (empty without a log). */
export function jobEndedTask(jobId: string, state: string, reason: string, auditHeadJson: Uint8Array): Task {
  return {
    kind: { $case: 'jobEnded', value: { jobId, state, reason, auditHeadJson: Buffer.from(auditHeadJson) } },
  };
}

/** The coordinator's signed log head, sent to a site when it connects (empty without a log). */
export function auditHeadTask(auditHeadJson: Uint8Array): Task {
  return { kind: { $case: 'auditHead', value: { auditHeadJson: Buffer.from(auditHeadJson) } } };
}
