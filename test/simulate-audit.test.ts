import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from './support/launch-chromium.js';
import { runsIf } from './support/runs-if.js';

const haveChromium = runsIf(
  existsSync(CHROMIUM),
  `simulate audit report in a browser: no Chromium at ${CHROMIUM}`,
);

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

function hefl(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 150_000 });
}

describe.runIf(existsSync(CLI))('the logs of a `hefl simulate --out` run', () => {
  const root = mkdtempSync(join(tmpdir(), 'hefl-sim-audit-'));
  const out = join(root, 'federation');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let headHash = '';
  /** The coordinator log and what `verify` and `export` check it with: anchor, manifest, every site log, the researcher's heads. */
  const auditArgs = () => ({
    log: join(out, 'coordinator', 'audit.jsonl'),
    evidence: [
      '--manifest',
      join(out, 'coordinator', 'manifest.json'),
      '--auditor-dir',
      join(out, 'researcher'), // its pinned coordinator.json
      ...readdirSync(join(out, 'sites')).flatMap((site) => [
        '--site-log',
        join(out, 'sites', site, 'audit.jsonl'),
      ]),
      '--researcher-record',
      join(out, 'researcher'),
    ],
  });

  it('verify with `hefl audit verify` (coordinator log against every site log), and tampering is caught', () => {
    const sim = hefl([
      'simulate',
      '--isolation',
      'process',
      '--sites',
      '2',
      '--rounds',
      '2',
      '--out',
      out,
      '--json',
    ]);
    expect(sim.status, sim.stderr).toBe(0);
    const result = JSON.parse(sim.stdout) as { outDir: string; modelDir: string; modelHash: string };
    expect(result.outDir).toBe(out);
    // --out also keeps the final model, as the researcher receives it (sealed by the sites)
    expect(result.modelDir).toBe(join(out, 'model'));
    const card = JSON.parse(readFileSync(join(out, 'model', 'model-card.json'), 'utf8')) as {
      modelHash: string;
    };
    expect(card.modelHash).toBe(result.modelHash);
    expect(
      existsSync(join(out, 'model', 'model.json')) && existsSync(join(out, 'model', 'weights.bin')),
    ).toBe(true);
    const { log, evidence } = auditArgs();
    const verified = hefl(['audit', 'verify', log, ...evidence, '--json']);
    expect(verified.status, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).ok).toBe(true);
    headHash = JSON.parse(verified.stdout).lastHash;

    const wrongKey = hefl(['audit', 'verify', log, '--coordinator-key', '00'.repeat(32)]);
    expect(wrongKey.status, 'a log checked against another key is refused').toBe(1);
  }, 180_000);

  it.runIf(haveChromium)(
    'export to an HTML report that Chromium shows as verified with the head hash, with named rounds and participants, without console errors',
    async () => {
      const html = join(root, 'report.html');
      const { log, evidence } = auditArgs();
      const exported = hefl(['audit', 'export', log, '--html', html, ...evidence]);
      expect(exported.status, exported.stderr).toBe(0);
      expect(headHash).toMatch(/^[0-9a-f]{64}$/);
      const browser = await launchChromium();
      const errors: string[] = [];
      try {
        const page = await browser.newPage();
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(pathToFileURL(html).href);
        const text = await page.locator('body').innerText();
        expect(text).toContain('hospital-a');
        expect(text).toContain('hospital-b');
        expect(text).toMatch(/round/i);
        const rounds = await page.locator('#rounds + table tbody tr').count();
        expect(rounds).toBeGreaterThanOrEqual(4); // stats round, 2 training rounds, final evaluation
        expect(await page.locator('#verification h2').textContent()).toBe('Verified: the log is intact');
        expect(await page.locator('#head-hash').textContent()).toBe(headHash);
        expect(text).toContain('hefl-simulation'); // the federation id, from the checked manifest
        expect(text).toContain('Round 0 (feature statistics)');
        expect(text).toContain('Round 3 (final evaluation)');
        expect(text).toContain('sealed to the researcher’s key');
        expect(text).toContain('hospital-a: no DP (none spent)');
      } finally {
        await browser.close();
      }
      expect(errors).toEqual([]);
    },
    60_000,
  );
});
