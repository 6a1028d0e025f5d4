import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { escapeHtml } from '../../common/audit/escape-html.js';
import {
  type SampleFederation,
  writeSampleFederationLog,
} from '../../common/audit/write-sample-federation-log.js';
import { toHex } from '../../common/crypto/index.js';
import { runCli } from '../../test/support/run-cli.js';

/** Runs `hefl audit export ...` in-process; returns stdout, stderr and the exit code it set. */
async function exportReport(...args: string[]) {
  const stderr: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  try {
    const stdout = await runCli('audit', 'export', ...args);
    return { stdout, stderr: stderr.join(''), exitCode: process.exitCode ?? 0 };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

const lastLine = async (path: string) => (await readFile(path, 'utf8')).trimEnd().split('\n').at(-1)!;

describe('hefl audit export --html: the report verifies the log and says what it found', () => {
  let dir: string;
  let fed: SampleFederation;
  let html: string;
  let anchor: string[];
  let siteLogs: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-audit-export-'));
    fed = writeSampleFederationLog(dir, { sites: 3, rounds: 3 });
    html = join(dir, 'report.html');
    anchor = ['--coordinator-key', toHex(fed.coordinator.publicKey)];
    siteLogs = fed.siteLogs.flatMap((p) => ['--site-log', p]);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('calls an intact log verified and shows its head hash, the key, the files and what was checked', async () => {
    const head = JSON.parse(await lastLine(fed.coordinatorLog)) as { seq: number; hash: string };

    const run = await exportReport(fed.coordinatorLog, '--html', html, ...anchor, ...siteLogs);
    const page = await readFile(html, 'utf8');

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Verified: the log is intact');
    expect(page).toContain('<h2>Verified: the log is intact</h2>');
    expect(page).toContain(`<p class="mono" id="head-hash">${head.hash}</p>`);
    expect(page).toContain(`seq 1–${head.seq}`);
    expect(page).toContain(toHex(fed.coordinator.publicKey));
    expect(page).toContain('the Merkle root of each of the 3 closed round(s)');
    for (const p of fed.siteLogs) expect(page).toContain(`site log ${escapeHtml(p)}: its own chain`);
    expect(page).toMatch(
      /coordinator log<\/td><td class="mono">[^<]+<\/td><td>\d+<\/td><td class="mono">[0-9a-f]{64}</,
    );
    expect(page).not.toContain('It does not check it');
    expect(page).not.toContain('NOT VERIFIED');
  });

  it('shows the fault and the tampered entry, never "verified", and exits 1', async () => {
    const lines = (await readFile(fed.coordinatorLog, 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.includes('"update.accepted"'));
    lines[at] = lines[at]!.replace(/"bytes":\d+/, '"bytes":1');
    await writeFile(fed.coordinatorLog, lines.join('\n'));

    const run = await exportReport(fed.coordinatorLog, '--html', html, ...anchor, ...siteLogs);
    const page = await readFile(html, 'utf8');

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`audit log tampered: ${fed.coordinatorLog} line ${at + 1}`);
    expect(page).toContain('<h2>NOT VERIFIED: verification failed</h2>');
    expect(page).toContain(`${escapeHtml(fed.coordinatorLog)} line ${at + 1}`);
    expect(page).toContain(`<pre class="mono" id="failing-entry">${escapeHtml(lines[at]!)}</pre>`);
    expect(page).not.toContain('Verified: the log is intact');
    expect(page).not.toContain('id="head-hash"');
  });

  it('without a trust anchor, writes the report marked NOT VERIFIED and warns', async () => {
    const run = await exportReport(fed.coordinatorLog, '--html', html);
    const page = await readFile(html, 'utf8');

    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('the report is marked NOT VERIFIED: no trust anchor was given');
    expect(page).toContain('<h2>NOT VERIFIED: verification was not possible</h2>');
    expect(page).not.toContain('Verified: the log is intact');
  });

  it('under another coordinator key, fails at the first entry', async () => {
    const run = await exportReport(fed.coordinatorLog, '--html', html, '--coordinator-key', '11'.repeat(32));
    const page = await readFile(html, 'utf8');

    expect(run.exitCode).toBe(1);
    expect(page).toContain('<h2>NOT VERIFIED: verification failed</h2>');
    expect(page).toContain(`${escapeHtml(fed.coordinatorLog)} line 1`);
  });
});
