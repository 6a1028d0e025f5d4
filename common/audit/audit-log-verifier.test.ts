import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, keyId, toHex } from '../crypto/index.js';
import { nativeSigner } from '../crypto/native-ed25519.js';
import { HeflError } from '../errors/index.js';
import { type AuditEntry, auditEntryHash } from './audit-entry.js';
import { type AuditVerification, verifyAuditLog } from './audit-log-verifier.js';
import { type SampleFederation, writeSampleFederationLog } from './write-sample-federation-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hefl-audit-verify-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const readLines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const writeLines = (path: string, lines: readonly string[]) => writeFileSync(path, `${lines.join('\n')}\n`);

function verify(fed: SampleFederation, siteLogs: readonly string[] = []): Promise<AuditVerification> {
  return verifyAuditLog(fed.coordinatorLog, {
    trustedSigner: fed.coordinator.publicKey,
    siteLogs,
    trustedSiteSigners: fed.sites.map((s) => s.publicKey),
  });
}

function expectBad(
  result: AuditVerification,
  line: number,
  seq: number | undefined,
  reason: string | RegExp,
) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect({ line: result.firstBad.line, seq: result.firstBad.seq }).toEqual({ line, seq });
  expect(result.firstBad.reason).toMatch(reason);
}

/** Re-hashes and re-signs `entry` with `secretKey`, claiming `signerId`: what a forger with some key can do. */
function resign(entry: AuditEntry, secretKey: Uint8Array, signerId: string): AuditEntry {
  const unsigned = { ...entry, signer: signerId };
  const hash = auditEntryHash(unsigned);
  return {
    ...unsigned,
    hash: toHex(hash),
    sig: Buffer.from(nativeSigner(secretKey)(hash)).toString('base64'),
  };
}

describe('verifyAuditLog', () => {
  it('accepts an intact coordinator log cross-checked against every site log', async () => {
    const fed = writeSampleFederationLog(dir);

    const result = await verify(fed, fed.siteLogs);

    expect(result).toMatchObject({ ok: true, entries: fed.entries, lastSeq: fed.entries, warnings: [] });
  });

  it('names the entry in which one byte was changed', async () => {
    const fed = writeSampleFederationLog(dir);
    const lines = readLines(fed.coordinatorLog);
    lines[9] = lines[9]!.replace('"round":1', '"round":7');
    writeLines(fed.coordinatorLog, lines);

    expectBad(await verify(fed), 10, 10, 'hash mismatch (entry altered)');
  });

  it('detects a change of any single byte of an entry, at that entry', async () => {
    const fed = writeSampleFederationLog(dir, { rounds: 1 });
    const original = readLines(fed.coordinatorLog);
    const target = 8;
    const line = original[target - 1]!;

    for (let i = 0; i < line.length; i += 1) {
      const lines = [...original];
      const replacement = line[i] === 'a' ? 'b' : 'a';
      lines[target - 1] = line.slice(0, i) + replacement + line.slice(i + 1);
      writeLines(fed.coordinatorLog, lines);

      const result = await verify(fed);

      expect(result.ok, `byte ${i} (${line[i]}) changed`).toBe(false);
      if (!result.ok) expect(result.firstBad.line, `byte ${i} (${line[i]}) changed`).toBe(target);
    }
  });

  it('names a deleted entry as a sequence gap', async () => {
    const fed = writeSampleFederationLog(dir);
    const lines = readLines(fed.coordinatorLog);
    lines.splice(6, 1);
    writeLines(fed.coordinatorLog, lines);

    expectBad(await verify(fed), 7, 8, 'sequence gap: expected 7, found 8 (entry deleted)');
  });

  it('names two swapped entries as out of order', async () => {
    const fed = writeSampleFederationLog(dir);
    const lines = readLines(fed.coordinatorLog);
    [lines[11], lines[12]] = [lines[12]!, lines[11]!];
    writeLines(fed.coordinatorLog, lines);

    expectBad(await verify(fed), 12, 13, 'sequence out of order (entries swapped): expected 12, found 13');
  });

  it('detects a truncated log through the head a site saw, but not without it', async () => {
    const fed = writeSampleFederationLog(dir);
    const lines = readLines(fed.coordinatorLog);
    writeLines(fed.coordinatorLog, lines.slice(0, lines.length - 3));
    const endsAt = fed.entries - 3;

    const alone = await verify(fed);
    const withSite = await verify(fed, fed.siteLogs);

    expect(alone.ok).toBe(true);
    expectBad(
      withSite,
      endsAt + 1,
      endsAt + 1,
      `log truncated: site ${fed.siteIds[0]} saw head seq ${fed.entries} but the log ends at ${endsAt}`,
    );
  });

  it('detects a rewritten entry the site saw as a head, even when re-chained by the key holder', async () => {
    const fed = writeSampleFederationLog(dir, { rounds: 1 });
    const lines = readLines(fed.coordinatorLog);
    // The coordinator itself rewrites its last entry (it holds the key): only the site's head catches it.
    const last = JSON.parse(lines.at(-1)!) as AuditEntry;
    lines[lines.length - 1] = JSON.stringify(
      resign(
        { ...last, details: { ...last.details, note: 'rewritten' } },
        fed.coordinator.secretKey,
        last.signer,
      ),
    );
    writeLines(fed.coordinatorLog, lines);

    expectBad(
      await verify(fed, fed.siteLogs),
      lines.length,
      fed.entries,
      /differs from the signed head site .* saw/,
    );
  });

  it('names a forged signature', async () => {
    const fed = writeSampleFederationLog(dir);
    const lines = readLines(fed.coordinatorLog);
    const entry = JSON.parse(lines[4]!) as AuditEntry;
    const other = JSON.parse(lines[5]!) as AuditEntry;
    lines[4] = JSON.stringify({ ...entry, sig: other.sig });
    writeLines(fed.coordinatorLog, lines);

    expectBad(await verify(fed), 5, 5, 'signature invalid');
  });

  it("names an entry re-signed with a key that is not the coordinator's", async () => {
    const fed = writeSampleFederationLog(dir);
    const intruder = generateSigningKeyPair();
    const lines = readLines(fed.coordinatorLog);
    const entry = JSON.parse(lines[5]!) as AuditEntry;
    const altered = { ...entry, details: { ...entry.details, jobHash: '0'.repeat(64) } };
    const claimingOwnKey = [...lines];
    claimingOwnKey[5] = JSON.stringify(resign(altered, intruder.secretKey, keyId(intruder.publicKey)));
    const claimingCoordinator = [...lines];
    claimingCoordinator[5] = JSON.stringify(resign(altered, intruder.secretKey, entry.signer));

    writeLines(fed.coordinatorLog, claimingOwnKey);
    expectBad(await verify(fed), 6, 6, /^signed by an unknown key/);
    writeLines(fed.coordinatorLog, claimingCoordinator);
    expectBad(await verify(fed), 6, 6, 'signature invalid');
  });

  it('refuses a whole log signed by a key other than the trusted coordinator key', async () => {
    const fed = writeSampleFederationLog(dir);

    const result = await verifyAuditLog(fed.coordinatorLog, {
      trustedSigner: generateSigningKeyPair().publicKey,
    });

    expectBad(result, 1, 1, /^signed by an unknown key/);
  });

  it("names the round whose Merkle root is missing a site's receipted update", async () => {
    const fed = writeSampleFederationLog(dir, { drop: { round: 2, site: 1, logAccepted: false } });
    const closed = readLines(fed.coordinatorLog).findIndex(
      (l) => l.includes('"round.closed"') && l.includes('"round":2'),
    );

    const alone = await verify(fed);
    const result = await verify(fed, fed.siteLogs);

    expect(alone.ok).toBe(true);
    expectBad(
      result,
      closed + 1,
      closed + 1,
      new RegExp(
        `receipt for update [0-9a-f]{16}… \\(site ${fed.siteIds[1]}.*missing from round 2's Merkle root`,
      ),
    );
  });

  it('names the round that left out an update its own log accepted', async () => {
    const fed = writeSampleFederationLog(dir, { drop: { round: 1, site: 0, logAccepted: true } });

    const result = await verify(fed);

    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.firstBad.reason).toMatch(
        /accepted update [0-9a-f]{16}… missing from round 1's Merkle root/,
      );
  });

  it('refuses a site log signed by a key that is not a trusted site key', async () => {
    const fed = writeSampleFederationLog(dir);

    const result = await verifyAuditLog(fed.coordinatorLog, {
      trustedSigner: fed.coordinator.publicKey,
      siteLogs: fed.siteLogs,
      trustedSiteSigners: [fed.sites[1]!.publicKey],
    });

    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.firstBad).toMatchObject({ file: fed.siteLogs[0], line: 1, reason: /unknown key/ });
  });

  it('throws invalid_argument for a file it cannot read', async () => {
    const key = generateSigningKeyPair().publicKey;

    await expect(verifyAuditLog(join(dir, 'missing.jsonl'), { trustedSigner: key })).rejects.toSatisfy((e) =>
      HeflError.is(e, 'invalid_argument'),
    );
    await expect(verifyAuditLog(dir, { trustedSigner: key })).rejects.toSatisfy((e) =>
      HeflError.is(e, 'invalid_argument'),
    );
  });

  it('names a line that is not JSON', async () => {
    const fed = writeSampleFederationLog(dir);
    const lines = readLines(fed.coordinatorLog);
    lines[2] = lines[2]!.slice(0, 40);
    writeLines(fed.coordinatorLog, lines);

    expectBad(await verify(fed), 3, undefined, 'not valid JSON');
  });
});
