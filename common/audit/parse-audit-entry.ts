import { z } from 'zod';
import { HeflError } from '../errors/index.js';
import { AUDIT_ACTIONS, type AuditEntry } from './audit-entry.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/*
 * Strict: a field the hash does not cover must not ride along unnoticed, so unknown fields
 * are refused. `sig` must be the canonical base64 of 64 bytes (a lenient decoder would let
 * an altered padding character through).
 */
const entrySchema = z.strictObject({
  seq: z.number().int().min(1),
  time: z.iso.datetime({ offset: true }),
  actor: z.string().min(1).max(128),
  action: z.enum(AUDIT_ACTIONS as [string, ...string[]]),
  cause: z.number().int().min(1).nullable(),
  details: z.record(z.string(), z.json()),
  prev: hex64,
  signer: z.string().regex(/^[0-9a-f]{32}$/),
  hash: hex64,
  sig: z
    .string()
    .regex(/^[A-Za-z0-9+/]{86}==$/)
    .refine((s) => Buffer.from(s, 'base64').toString('base64') === s),
});

/**
 * Parses one log line into an entry, checking its shape only (not hash, signature or chain).
 * Throws `invalid_data` naming the first problem, e.g. `not JSON` or `seq: expected int`.
 */
export function parseAuditEntry(line: string): AuditEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new HeflError('invalid_data', 'not valid JSON', { cause: error });
  }
  const result = entrySchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new HeflError(
      'invalid_data',
      `malformed entry: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const entry = result.data as AuditEntry;
  if (entry.cause !== null && entry.cause >= entry.seq) {
    throw new HeflError('invalid_data', `malformed entry: cause ${entry.cause} is not an earlier entry`);
  }
  return entry;
}
