import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAuditReport } from '../cli/audit/export-audit-report.js';
import { writeSampleFederationLog } from '../common/audit/write-sample-federation-log.js';
import { toHex } from '../common/crypto/index.js';
import { CHROMIUM, launchChromium } from './support/launch-chromium.js';
import { runsIf } from './support/runs-if.js';

/** Screenshots for a person to look at (gitignored; CI may keep them as artifacts). */
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;

const haveChromium = runsIf(existsSync(CHROMIUM), `audit HTML report: no headless Chromium at ${CHROMIUM}`);

describe.runIf(haveChromium)('audit HTML report in headless Chromium', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hefl-audit-report-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the verification with the head hash, every round with its participants, refusals and metric charts, without console errors or requests; screenshots saved', async () => {
    const fed = writeSampleFederationLog(dir, { sites: 3, rounds: 3 });
    const file = join(dir, 'report.html');
    await exportAuditReport(fed.coordinatorLog, {
      html: file,
      coordinatorKey: toHex(fed.coordinator.publicKey),
      siteLog: [...fed.siteLogs],
    });
    const head = JSON.parse(readFileSync(fed.coordinatorLog, 'utf8').trimEnd().split('\n').at(-1)!) as {
      hash: string;
    };
    const url = pathToFileURL(file).href;
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'audit-report.png');
    const printShot = join(ARTIFACTS, 'audit-report-print.png');
    rmSync(shot, { force: true });
    rmSync(printShot, { force: true });

    const browser = await launchChromium();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      page.on('request', (r) => {
        if (r.url() !== url) requests.push(r.url());
      });
      await page.goto(url);

      const roundRows = await page.locator('#rounds + table tbody tr').allInnerTexts();
      const sitesCell = await page
        .locator('#rounds + table tbody tr')
        .first()
        .locator('td')
        .nth(5)
        .textContent();
      const charts = await page.locator('#metrics + .charts svg').count();
      const refusals = await page.locator('#refusals').textContent();
      const text = await page.locator('body').textContent();
      const status = await page.locator('#verification h2').textContent();
      const headHash = await page.locator('#head-hash').textContent();
      const headVisible = await page.locator('#head-hash').isVisible();
      await page.screenshot({ path: shot, fullPage: true });
      await page.emulateMedia({ media: 'print' });
      const printedHeadVisible = await page.locator('#head-hash').isVisible();
      await page.screenshot({ path: printShot, fullPage: true });

      expect(status).toBe('Verified: the log is intact');
      expect(headHash).toBe(head.hash);
      expect(headVisible && printedHeadVisible).toBe(true);
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(statSync(printShot).size).toBeGreaterThan(10_000);
      expect(roundRows).toHaveLength(3);
      roundRows.forEach((row, i) => {
        expect(row).toContain(`Round ${i + 1}/3 (training)`);
        expect(row).toMatch(/\t3\t/);
      });
      for (const site of fed.siteIds) expect(sitesCell).toContain(site); // in full, not in a tooltip
      expect(charts).toBe(3);
      expect(refusals).toBe('Refusals (1)');
      expect(text).toContain('sender is not admitted to this federation');
      expect(consoleErrors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
