import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../common/audit/audit-entry.js';
import { renderAuditReport } from '../common/audit/audit-html-report.js';
import { readTimeline } from '../common/audit/audit-timeline.js';
import { writeSampleFederationLog } from '../common/audit/write-sample-federation-log.js';
import { CHROMIUM, launchChromium } from './support/launch-chromium.js';
import { runsIf } from './support/runs-if.js';

const haveChromium = runsIf(existsSync(CHROMIUM), `audit HTML report: no headless Chromium at ${CHROMIUM}`);

describe.runIf(haveChromium)('audit HTML report in headless Chromium', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hefl-audit-report-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every round with its participants, refusals and metric charts, without console errors or requests', async () => {
    const fed = writeSampleFederationLog(dir, { sites: 3, rounds: 3 });
    const entries: AuditEntry[] = [];
    for await (const e of readTimeline(fed.coordinatorLog)) entries.push(e);
    const file = join(dir, 'report.html');
    writeFileSync(file, renderAuditReport(entries));
    const url = pathToFileURL(file).href;

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

      expect(roundRows).toHaveLength(3);
      roundRows.forEach((row, i) => {
        expect(row).toContain(`Round ${i + 1}`);
        expect(row).toMatch(/\t3\t/);
      });
      for (const site of fed.siteIds) expect(sitesCell).toContain(site.slice(0, 12));
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
