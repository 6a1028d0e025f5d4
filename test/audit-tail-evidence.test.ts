import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, auditEntryHash, nativeSigner, verifyAuditLog } from '../common/audit/index.js';
import { fromHex, toHex } from '../common/crypto/index.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

const readEntries = (path: string): AuditEntry[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEntry);

const writeEntries = (path: string, entries: readonly AuditEntry[]) =>
  writeFileSync(path, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));

/** Re-chains and re-signs every entry from index `from` on with `secretKey`: a rewrite by the log's owner. */
function resign(entries: AuditEntry[], from: number, secretKey: Uint8Array): AuditEntry[] {
  const sign = nativeSigner(secretKey);
  const out = entries.slice(0, from);
  for (const entry of entries.slice(from)) {
    const prev = out.at(-1)?.hash ?? '0'.repeat(64);
    const { hash: _h, sig: _s, ...unsigned } = { ...entry, seq: out.length + 1, prev };
    const hash = auditEntryHash(unsigned);
    out.push({ ...unsigned, hash: toHex(hash), sig: Buffer.from(sign(hash)).toString('base64') });
  }
  return out;
}

const secretKeyIn = (path: string) =>
  fromHex((JSON.parse(readFileSync(path, 'utf8')) as { secretKey: string }).secretKey);

/*
 * A real `hefl simulate --out` run (coordinator and two sites as processes, mutual TLS), whose
 * logs each case copies and tampers with, using the keys the tamperer really holds, then
 * verifies in-process with the coordinator key as anchor.
 */
describe('audit evidence for the tail of the logs (issue 12, items 13 and 15)', () => {
  const root = mkdtempSync(join(tmpdir(), 'hefl-audit-tail-'));
  const out = join(root, 'federation');
  const coordinatorLog = join(out, 'coordinator', 'audit.jsonl');
  const siteLog = (site: string) => join(out, 'sites', site, 'audit.jsonl');
  let coordinatorKey: string;
  let n = 0;
  const copy = (entries: readonly AuditEntry[]) => {
    const path = join(root, `tampered-${++n}.jsonl`);
    writeEntries(path, entries);
    return path;
  };
  const verify = (log: string, evidence: { siteLogs?: string[]; researcherRecords?: string[] }) =>
    verifyAuditLog(log, { trustedSigner: fromHex(coordinatorKey), ...evidence });
  const reason = (result: Awaited<ReturnType<typeof verify>>) =>
    result.ok ? 'intact' : result.firstBad.reason;

  beforeAll(() => {
    const sim = spawnSync(
      process.execPath,
      [CLI, 'simulate', '--sites', '2', '--rounds', '1', '--out', out, '--json'],
      { encoding: 'utf8', timeout: 150_000 },
    );
    expect(sim.status, sim.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'coordinator', 'manifest.json'), 'utf8')) as {
      manifest: { coordinator: { signingPublicKey: string } };
    };
    coordinatorKey = manifest.manifest.coordinator.signingPublicKey;
  }, 180_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const allSiteLogs = () => [siteLog('hospital-a'), siteLog('hospital-b')];
  const researcherRecord = () => join(out, 'researcher', 'audit-heads.jsonl');

  it('the untouched logs verify with every piece of evidence', async () => {
    const result = await verify(coordinatorLog, {
      siteLogs: allSiteLogs(),
      researcherRecords: [researcherRecord()],
    });
    expect(reason(result)).toBe('intact');
  });

  it('13: truncating the coordinator log from job.completed on is caught by the final head the sites logged', async () => {
    const entries = readEntries(coordinatorLog);
    const end = entries.findIndex((e) => e.action === 'job.completed');
    expect(end).toBeGreaterThan(0);
    const result = await verify(copy(entries.slice(0, end)), { siteLogs: allSiteLogs() });
    expect(reason(result)).toMatch(/log truncated: site \w+ saw head seq \d+/);
  });

  it("13: dropping a site's model release is caught by the head its release was acknowledged with", async () => {
    const entries = readEntries(coordinatorLog);
    // The last release a site posted (the researcher's fetch is logged as a release too).
    const last = entries.findLastIndex(
      (e) => e.action === 'model.released' && String(e.details.member).startsWith('hospital-'),
    );
    expect(last).toBeGreaterThan(0);
    const result = await verify(copy(entries.slice(0, last)), { siteLogs: allSiteLogs() });
    expect(reason(result)).toMatch(/log truncated: site \w+ saw head seq \d+/);
  });

  it('13: rewriting the model releases, re-signed with the coordinator key, is caught by the researcher record', async () => {
    const entries = readEntries(coordinatorLog);
    const first = entries.findIndex((e) => e.action === 'model.released');
    expect(first).toBeGreaterThan(0);
    // The coordinator claims only hospital-a released, and re-signs its log from there on.
    const altered = entries
      .filter((e, i) => i < first || e.details.member !== 'hospital-b')
      .map((e) =>
        e.action === 'model.released' && e.details.sites
          ? { ...e, details: { ...e.details, sites: ['hospital-a'] } }
          : e,
      );
    const rewritten = resign(
      altered,
      first,
      secretKeyIn(join(out, 'coordinator', 'coordinator-signing-key.json')),
    );
    const tampered = copy(rewritten);
    // The sites' logs catch it too (their releases were acknowledged with heads); the
    // researcher's record alone is enough.
    expect(reason(await verify(tampered, { siteLogs: allSiteLogs() }))).toMatch(/log rewritten/);
    const result = await verify(tampered, { researcherRecords: [researcherRecord()] });
    expect(reason(result)).toMatch(/signed head the researcher .* saw|log truncated: the researcher/);
  });

  it('15: a site that drops the tail of its own log is caught by the head the coordinator recorded', async () => {
    // The site drops everything from its last update on (sent, receipt, proof check, ...).
    const entries = readEntries(siteLog('hospital-a'));
    const lastSent = entries.findLastIndex((e) => e.action === 'site.sent');
    expect(lastSent).toBeGreaterThan(0);
    const result = await verify(coordinatorLog, { siteLogs: [copy(entries.slice(0, lastSent))] });
    expect(reason(result)).toMatch(/site log truncated: the coordinator recorded this site's signed head/);
  });

  it('15: a site that rewrites its whole log with its own key is caught by the head the coordinator recorded', async () => {
    const entries = readEntries(siteLog('hospital-a'));
    const sent = entries.findIndex((e) => e.action === 'site.sent');
    expect(sent).toBeGreaterThanOrEqual(0);
    // The site claims it sent fewer bytes in its first round, and re-signs everything.
    entries[sent] = { ...entries[sent]!, details: { ...entries[sent]!.details, bytes: 1 } };
    const rewritten = resign(entries, 0, secretKeyIn(join(out, 'sites', 'hospital-a', 'signing-key.json')));
    const result = await verify(coordinatorLog, { siteLogs: [copy(rewritten)] });
    expect(reason(result)).toMatch(/site log rewritten: entry \d+ differs from the head the site signed/);
  });
});
