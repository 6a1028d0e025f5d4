import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDashboard, startDashboardServer } from '../cli/dashboard/dashboard-server.js';
import { findDashboardSources } from '../cli/dashboard/dashboard-sources.js';
import { folderDashboard } from '../cli/dashboard/folder-dashboard.js';
import { openResearcherSession, type ResearcherSession } from '../cli/job/researcher-session.js';
import { CHROMIUM, launchChromium } from './support/launch-chromium.js';
import { runsIf } from './support/runs-if.js';
import { syntheticJob } from './support/synthetic-job.js';
import { startTlsFederation, type TlsFederation } from './support/tls-federation.js';

const haveChromium = runsIf(
  existsSync(CHROMIUM),
  `dashboard in a browser: no headless Chromium at ${CHROMIUM}`,
);
/** Screenshots for a person to look at (gitignored; CI may keep them as artifacts). */
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;

describe.runIf(haveChromium)('hefl dashboard in headless Chromium (real coordinator over mutual TLS)', () => {
  let fed: TlsFederation;
  let researcher: ResearcherSession;
  let dashboard: RunningDashboard;
  let closeDeps: () => void;
  let jobId: string;
  beforeAll(async () => {
    fed = await startTlsFederation(['hospital-a', 'hospital-b']);
    const dir = fed.memberDir('researcher');
    researcher = await openResearcherSession(dir, fed.address);
    ({ jobId } = await researcher.client.submit(
      syntheticJob({ name: 'dashboard', rounds: 2, minSites: 2, recruitSeconds: 600 }),
    ));
    const log = join(fed.provisioned.coordinatorDir, 'audit.jsonl');
    const deps = folderDashboard(dir, findDashboardSources(dir, log), fed.address, 250);
    closeDeps = deps.close;
    dashboard = await startDashboardServer(deps);
  });
  afterAll(async () => {
    await dashboard?.close();
    closeDeps?.();
    researcher?.close();
    await fed?.stop();
  });

  it('shows the job and the verified audit timeline, follows a change without reloading, and loads nothing from elsewhere', async () => {
    const browser = await launchChromium();
    const errors: string[] = [];
    const foreign: string[] = [];
    let navigations = 0;
    const shot = join(ARTIFACTS, 'dashboard.png');
    mkdirSync(ARTIFACTS, { recursive: true });
    rmSync(shot, { force: true });
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith(dashboard.url)) foreign.push(r.url());
      });
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) navigations += 1;
      });
      await page.goto(dashboard.url);

      const jobRow = page.locator('#jobs tr', { hasText: jobId });
      await jobRow.waitFor({ timeout: 20_000 });
      const before = await jobRow.locator('td').nth(1).textContent();
      await page.locator('#audit-status', { hasText: 'Verified:' }).waitFor({ timeout: 20_000 });
      const report = page.frameLocator('#audit-frame');
      await report.locator('#verification h2', { hasText: 'Verified: the log is intact' }).waitFor();
      const submitted = await report
        .locator('#timeline + table tbody tr', { hasText: 'job.submitted' })
        .count();

      await researcher.client.cancel(jobId, 'dashboard test');
      await page.locator('#jobs tr td', { hasText: 'cancelled' }).waitFor({ timeout: 20_000 });
      await report
        .locator('#timeline + table tbody tr', { hasText: 'job.cancelled' })
        .waitFor({ timeout: 20_000 });
      await page.screenshot({ path: shot, fullPage: true });

      expect(before).toBe('recruiting');
      expect(submitted).toBe(1);
      expect(navigations).toBe(1); // the first load only: the page updated itself
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 90_000);

  it('refuses a request that names another host (DNS rebinding)', async () => {
    // fetch() does not let a page set Host; a rebinding attack arrives with the attacker's name in it.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${dashboard.url}api/state`, { headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });

    expect(status).toBe(403);
  });
});
