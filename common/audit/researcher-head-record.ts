import { z } from 'zod';
import { type AuditHead, auditHeadSchema } from './audit-head.js';

/**
 * File in a researcher folder where `hefl model fetch` keeps every coordinator head it was
 * handed (one JSON line per fetch). The heads carry the coordinator's own signature, so the
 * file needs no signature of its own: it is evidence an auditor passes to `hefl audit verify
 * --researcher-record`, and a coordinator that later truncates or rewrites its log past such
 * a head is contradicted by it.
 */
export const RESEARCHER_HEADS_FILE = 'audit-heads.jsonl';

const recordSchema = z.strictObject({
  jobId: z.string().min(1).max(128),
  seenAt: z.iso.datetime({ offset: true }),
  head: auditHeadSchema,
});

export interface ResearcherHeadRecord {
  readonly jobId: string;
  /** ISO 8601 UTC, when the researcher received the head. */
  readonly seenAt: string;
  readonly head: AuditHead;
}

/** One line of the researcher's head file (with the trailing newline). */
export function researcherHeadLine(record: ResearcherHeadRecord): string {
  const { jobId, seenAt, head } = record;
  return `${JSON.stringify({ jobId, seenAt, head: { seq: head.seq, hash: head.hash, sig: head.sig } })}\n`;
}

/** Parses one line; returns the problem as a string when the line is malformed. */
export function parseResearcherHeadLine(text: string): ResearcherHeadRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  const parsed = recordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return `malformed head record: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
