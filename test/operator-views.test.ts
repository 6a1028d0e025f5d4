import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { generateBoxKeyPair, generateSigningKeyPair } from '../common/crypto/index.js';
import type { Member } from '../coordinator/members/member-directory.js';
import {
  type RunningStatusServer,
  startLocalStatusServer,
} from '../coordinator/observe/local-status-server.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { runCli } from './support/run-cli.js';
import { syntheticJob } from './support/synthetic-job.js';

/** One sample of a Prometheus text exposition, e.g. metric(text, 'hefl_jobs{state="running"}'). */
function metric(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('operator views and metrics on the local status port', () => {
  let fed: TestFederation;
  let status: RunningStatusServer;
  let base: string;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 2 });
    const members: Member[] = fed.siteKeys.map((k) => ({
      id: k.siteId,
      role: 'site',
      signingPublicKey: k.signingPublicKey,
      sealingPublicKey: k.sealingPublicKey,
      revoked: false,
      admittedAt: '2026-01-01T00:00:00.000Z',
    }));
    status = await startLocalStatusServer({ ...fed.coordinator, members: () => members }, 0);
    base = `http://127.0.0.1:${status.port}`;
    await waitForSites(fed);
  });
  afterAll(async () => {
    await status?.stop();
    await fed?.stop();
  });

  const scrape = async () => (await fetch(`${base}/metrics`)).text();
  const members = async () =>
    JSON.parse(
      await runCli(
        'federation',
        'members',
        '--dir',
        fed.dir,
        '--metrics-port',
        String(status.port),
        '--json',
      ),
    ).members as {
      id: string;
      connected: boolean;
      lastSeen: string | null;
      keyId: string;
      admittedAt: string;
    }[];

  it('answers the health check without a client certificate, on 127.0.0.1 only', async () => {
    const health = await fetch(`${base}/healthz`);

    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'SERVING' });
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  it('hefl federation members shows who is connected and when each was last seen', async () => {
    const before = Date.now();
    const seen = await members();

    expect(seen.map((m) => [m.id, m.connected])).toEqual([
      ['site-a', true],
      ['site-b', true],
    ]);
    for (const m of seen) {
      expect(m.lastSeen).not.toBeNull();
      expect(Date.parse(m.lastSeen!)).toBeLessThanOrEqual(before);
      expect(m.keyId).toMatch(/^[0-9a-f]{16,}$/);
      expect(m.admittedAt).toBe('2026-01-01T00:00:00.000Z');
    }
    const text = await runCli(
      'federation',
      'members',
      '--dir',
      fed.dir,
      '--metrics-port',
      String(status.port),
    );
    expect(text).toMatch(
      /site-a\s+site\s+[0-9a-f]{16}\s+2026-01-01T00:00:00.000Z\s+not seen\s+yes\s+20\d\d-/,
    );
  });

  it('metrics change during a job: jobs by state, rounds, round durations, bytes up and down', async () => {
    const idle = await scrape();
    expect(metric(idle, 'hefl_connected_sites')).toBe(2);
    expect(metric(idle, 'hefl_site_connected{site="site-a"}')).toBe(1);
    expect(metric(idle, 'hefl_jobs{state="running"}')).toBe(0);
    expect(metric(idle, 'hefl_rounds_closed_total')).toBe(0);
    expect(metric(idle, 'hefl_bytes_up_total')).toBe(0);
    expect(metric(idle, 'hefl_site_last_contact_timestamp_seconds{site="site-b"}')).toBeGreaterThan(0);

    const { jobId } = await fed.researcher.submit(syntheticJob({ name: 'metered', rounds: 3, minSites: 2 }));
    let sawRunning = false;
    for (let i = 0; i < 600 && !sawRunning; i++) {
      sawRunning = metric(await scrape(), 'hefl_jobs{state="running"}') === 1;
      if (!sawRunning) await new Promise((r) => setTimeout(r, 50));
    }
    const status = await runCli(
      'coordinator',
      'status',
      '--dir',
      fed.dir,
      '--metrics-port',
      String(base.split(':')[2]),
    );
    expect((await waitForJob(fed.researcher, jobId, 60_000)).state).toBe('completed');
    const after = await scrape();

    expect(sawRunning).toBe(true);
    expect(status).toContain(`${jobId}  running`);
    expect(status).toContain('connected sites (2): site-a, site-b');
    expect(metric(after, 'hefl_jobs{state="running"}')).toBe(0);
    expect(metric(after, 'hefl_jobs{state="completed"}')).toBe(1);
    expect(metric(after, 'hefl_rounds_closed_total')).toBeGreaterThanOrEqual(3);
    expect(metric(after, 'hefl_round_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metric(after, 'hefl_bytes_up_total')).toBeGreaterThan(0);
    expect(metric(after, 'hefl_bytes_down_total')).toBeGreaterThan(0);
  }, 90_000);

  it('counts refusals by reason', async () => {
    const signing = generateSigningKeyPair();
    const sealing = generateBoxKeyPair();
    const stranger = new ResearcherClient(`127.0.0.1:${fed.coordinator.port}`, credentials.createInsecure(), {
      signingSecretKey: signing.secretKey,
      sealingPublicKey: sealing.publicKey,
      sealingSecretKey: sealing.secretKey,
    });
    const before = metric(await scrape(), 'hefl_refusals_total{reason="unauthenticated"}') ?? 0;

    await expect(stranger.submit(syntheticJob({ name: 'stranger', rounds: 1 }))).rejects.toThrow();
    stranger.close();

    expect(metric(await scrape(), 'hefl_refusals_total{reason="unauthenticated"}')).toBe(before + 1);
  });

  it('a site that goes away is shown not connected, with its last-seen time kept', async () => {
    fed.sites[1]!.stop();
    let seen = await members();
    for (let i = 0; i < 100 && seen[1]!.connected; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await members();
    }

    expect(seen[1]).toMatchObject({ id: 'site-b', connected: false });
    expect(seen[1]!.lastSeen).not.toBeNull();
    expect(metric(await scrape(), 'hefl_site_connected{site="site-b"}')).toBe(0);
    expect(metric(await scrape(), 'hefl_connected_sites')).toBe(1);
  });
});
