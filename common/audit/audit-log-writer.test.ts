import * as fs from 'node:fs';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, keyId } from '../crypto/index.js';
import { nativeVerifier } from '../crypto/native-ed25519.js';
import { HeflError } from '../errors/index.js';
import { GENESIS_PREV } from './audit-entry.js';
import { verifyAuditHead } from './audit-head.js';
import { verifyAuditLog } from './audit-log-verifier.js';
import { type AuditFs, AuditLogWriter } from './audit-log-writer.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hefl-audit-writer-'));
  path = join(dir, 'audit.jsonl');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const clock = { now: () => Date.parse('2025-03-01T10:00:00Z') };
const record = (n: number) =>
  ({
    actor: 'coordinator',
    action: 'round.opened',
    cause: null,
    details: { jobId: 'j1', round: n },
  }) as const;

/** Real fs that records write / fsync calls in order. */
function spyFs(calls: string[]): AuditFs {
  return {
    ...fs,
    writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
      calls.push('write');
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync,
    fsyncSync: (fd: number) => {
      calls.push('fsync');
      fs.fsyncSync(fd);
    },
  };
}

describe('AuditLogWriter', () => {
  it('chains entries from seq 1 and fsyncs each before append returns', () => {
    const calls: string[] = [];
    const key = generateSigningKeyPair();
    const writer = AuditLogWriter.open(path, key, clock, spyFs(calls));

    const first = writer.append(record(1));
    const callsAfterFirst = [...calls];
    const second = writer.append(record(2));
    writer.close();

    expect(first).toMatchObject({
      seq: 1,
      prev: GENESIS_PREV,
      signer: keyId(key.publicKey),
      time: '2025-03-01T10:00:00.000Z',
    });
    expect(second).toMatchObject({ seq: 2, prev: first.hash });
    expect(callsAfterFirst).toEqual(['write', 'fsync']);
    expect(calls).toEqual(['write', 'fsync', 'write', 'fsync']);
    expect(readFileSync(path, 'utf8').split('\n')).toEqual([
      JSON.stringify(first),
      JSON.stringify(second),
      '',
    ]);
  });

  it('resumes after reopening and the whole file still verifies', async () => {
    const key = generateSigningKeyPair();
    const before = AuditLogWriter.open(path, key, clock);
    before.append(record(1));
    const last = before.append(record(2));
    before.close();

    const after = AuditLogWriter.open(path, key, clock);
    const next = after.append(record(3));
    after.close();

    expect(next).toMatchObject({ seq: 3, prev: last.hash });
    expect(await verifyAuditLog(path, { trustedSigner: key.publicKey })).toMatchObject({
      ok: true,
      lastSeq: 3,
    });
  });

  it('refuses to resume a log whose last entry was altered, signed by another key, or cut short', () => {
    const key = generateSigningKeyPair();
    const writer = AuditLogWriter.open(path, key, clock);
    writer.append(record(1));
    writer.close();
    const intact = readFileSync(path, 'utf8');
    const isIntegrity = (e: unknown) => HeflError.is(e, 'integrity');

    writeFileSync(path, intact.replace('"round":1', '"round":9'));
    expect(() => AuditLogWriter.open(path, key, clock)).toThrow(expect.toSatisfy(isIntegrity));
    writeFileSync(path, intact);
    expect(() => AuditLogWriter.open(path, generateSigningKeyPair(), clock)).toThrow(/does not verify/);
    appendFileSync(path, '{"seq":2,');
    expect(() => AuditLogWriter.open(path, key, clock)).toThrow(/incomplete line/);
  });

  it('finds the last line of a log longer than one read chunk', () => {
    const key = generateSigningKeyPair();
    const writer = AuditLogWriter.open(path, key, clock);
    const big = { ...record(1), details: { jobId: 'j1', note: 'x'.repeat(100_000) } };
    writer.append(big);
    writer.append(big);
    writer.close();

    expect(AuditLogWriter.open(path, key, clock).last.seq).toBe(2);
  });

  it('signs a head that verifies with its key only and binds the seq', () => {
    const key = generateSigningKeyPair();
    const writer = AuditLogWriter.open(path, key, clock);
    const entry = writer.append(record(1));

    const head = writer.head();
    writer.close();

    expect(head).toMatchObject({ seq: 1, hash: entry.hash });
    expect(verifyAuditHead(head, nativeVerifier(key.publicKey))).toBe(true);
    expect(verifyAuditHead({ ...head, seq: 2 }, nativeVerifier(key.publicKey))).toBe(false);
    expect(verifyAuditHead(head, nativeVerifier(generateSigningKeyPair().publicKey))).toBe(false);
  });

  it('refuses details that look like weights or keys, and a cause that is not earlier', () => {
    const writer = AuditLogWriter.open(path, generateSigningKeyPair(), clock);

    expect(() => writer.append({ ...record(1), details: { weights: [1] } })).toThrow(
      /never hold values, weights or keys/,
    );
    expect(() =>
      writer.append({ ...record(1), details: { v: Array.from({ length: 100 }, (_, i) => i) } }),
    ).toThrow(/numeric vectors/);
    expect(() => writer.append({ ...record(1), cause: 1 })).toThrow(/not an earlier entry/);
    writer.close();
  });

  it('hashes details exactly as written (Date, undefined) so the log verifies, and refuses raw bytes', async () => {
    const key = generateSigningKeyPair();
    const writer = AuditLogWriter.open(path, key, clock);
    const loose = { jobId: 'j1', round: 0, deadline: new Date(0), absent: undefined } as unknown as Record<
      string,
      never
    >;

    const entry = writer.append({ ...record(0), details: loose });

    expect(entry.details).toEqual({ jobId: 'j1', round: 0, deadline: '1970-01-01T00:00:00.000Z' });
    expect(() => writer.append({ ...record(1), details: { digest: new Uint8Array(32) } as never })).toThrow(
      /raw bytes/,
    );
    writer.close();
    expect(await verifyAuditLog(path, { trustedSigner: key.publicKey })).toMatchObject({
      ok: true,
      lastSeq: 1,
    });
  });

  it('reports an unopenable path as invalid_argument', () => {
    expect(() =>
      AuditLogWriter.open(join(dir, 'no', 'such', 'dir.jsonl'), generateSigningKeyPair(), clock),
    ).toThrow(expect.toSatisfy((e: unknown) => HeflError.is(e, 'invalid_argument')));
  });
});
