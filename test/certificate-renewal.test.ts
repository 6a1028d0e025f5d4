import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceError, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProvisionedFederation, provisionFederation } from '../cli/simulate/provision-federation.js';
import {
  createEnrolmentRequest,
  createRenewalRequest,
  installAdmission,
  installRenewal,
  loadCoordinatorIdentity,
  loadMemberIdentity,
  type MemberIdentity,
  readJsonFile,
  reissueAdmission,
  renewMemberCertificate,
  type SignedManifest,
  saveCoordinatorManifest,
} from '../common/identity/index.js';
import { startCoordinator } from '../coordinator/start-coordinator.js';
import type { RunningCoordinator } from '../coordinator/transport/coordinator-server.js';
import { ScriptedSite } from './support/scripted-site.js';
import { type LogLine, waitUntil } from './support/tls-federation.js';

/*
 * Issue 17: certificate renewal and reissue over real mutual TLS on 127.0.0.1. The member
 * makes its request on its own folder, the operator signs it into the manifest on the
 * coordinator's folder (as `hefl federation renew / reissue` do), the running coordinator
 * reloads the manifest, and the member connects with what it installed.
 */

interface Federation {
  readonly root: string;
  readonly provisioned: ProvisionedFederation;
  readonly coordinator: RunningCoordinator;
  readonly address: string;
  readonly logs: LogLine[];
  readonly warnings: LogLine[];
  siteDir(id: string): string;
}

async function start(): Promise<Federation> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-renew-'));
  const provisioned = await provisionFederation(root, ['site-a', 'site-b']);
  const logs: LogLine[] = [];
  const warnings: LogLine[] = [];
  const coordinator = await startCoordinator({
    dir: provisioned.coordinatorDir,
    host: '127.0.0.1',
    port: 0,
    log: (event, fields) => logs.push({ event, fields }),
    warn: (event, fields) => warnings.push({ event, fields }),
  });
  return {
    root,
    provisioned,
    coordinator,
    address: `127.0.0.1:${coordinator.port}`,
    logs,
    warnings,
    siteDir: (id) => provisioned.siteDirs.find((s) => s.id === id)!.dir,
  };
}

/** Opens the task stream: 'connected' once the coordinator sent its manifest, else the gRPC status. */
function tryConnect(fed: Federation, identity: MemberIdentity): Promise<string> {
  const site = new ScriptedSite(identity, fed.address);
  return new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), 10_000);
    const done = (outcome: string) => {
      clearTimeout(timer);
      cancel();
      site.close();
      resolve(outcome);
    };
    const cancel = site.client.subscribe(
      site.hello(),
      (task) => {
        if (task.kind?.$case === 'manifest') done('connected');
      },
      (error) => done(status[(error as ServiceError | undefined)?.code ?? status.OK] ?? 'ended'),
    );
  });
}

/** Saves a manifest as the operator's commands do and waits until the coordinator has reloaded it. */
async function saveAndReload(fed: Federation, signed: SignedManifest): Promise<void> {
  const reloads = () => fed.logs.filter((l) => l.event === 'manifest.reloaded').length;
  const before = reloads();
  await saveCoordinatorManifest(fed.provisioned.coordinatorDir, signed);
  await waitUntil(() => (reloads() > before ? true : undefined), 5_000, 'the manifest reload');
}

describe('certificate renewal and reissue (real mutual TLS)', () => {
  let fed: Federation | undefined;
  afterEach(async () => {
    await fed?.coordinator.stop();
    if (fed) rmSync(fed.root, { recursive: true, force: true });
    fed = undefined;
  });

  it('a renewed site connects with its new key and certificate; its previous certificate is refused', async () => {
    fed = await start();
    const dir = fed.siteDir('site-a');
    const before = await loadMemberIdentity(dir);
    expect(await tryConnect(fed, before)).toBe('connected');

    const { requestPath, newKey } = await createRenewalRequest(dir);
    const operator = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);
    const renewed = await renewMemberCertificate(
      await readJsonFile(requestPath, 'renewal request'),
      'site-a',
      operator.ca,
      operator.manifest,
      operator.signingKey.secretKey,
    );
    await saveAndReload(fed, renewed.signedManifest);
    const after = await installRenewal(dir, renewed.admission);

    expect(newKey).toBe(true);
    expect(after.tls.keyPem).not.toBe(before.tls.keyPem);
    expect(after.tls.certPem).not.toBe(before.tls.certPem);
    expect(after.signingKey.publicKey).toEqual(before.signingKey.publicKey); // same member, same keys
    expect(await tryConnect(fed, after)).toBe('connected');
    expect(await tryConnect(fed, before)).toBe('UNAUTHENTICATED');
  }, 30_000);

  it('a renewal request signed by another member is refused by the operator', async () => {
    fed = await start();
    const { requestPath } = await createRenewalRequest(fed.siteDir('site-b'));
    const operator = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);

    await expect(
      renewMemberCertificate(
        await readJsonFile(requestPath, 'renewal request'),
        'site-a',
        operator.ca,
        operator.manifest,
        operator.signingKey.secretKey,
      ),
    ).rejects.toThrow(/signature/i);
  }, 30_000);

  it('a reissued member connects from its new folder and its old keys are refused', async () => {
    fed = await start();
    const old = await loadMemberIdentity(fed.siteDir('site-a'));
    const freshDir = join(fed.root, 'site-a-new');
    const { requestPath } = await createEnrolmentRequest({ id: 'site-a', role: 'site', dir: freshDir });
    const operator = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);
    const reissued = await reissueAdmission(
      await readJsonFile(requestPath, 'enrolment request'),
      'site-a',
      operator.ca,
      operator.manifest,
      operator.signingKey.secretKey,
    );
    await saveAndReload(fed, reissued.signedManifest);
    const fresh = await installAdmission(freshDir, reissued.admission);

    expect(await tryConnect(fed, fresh)).toBe('connected');
    // The lost folder: its certificate is no longer admitted ...
    expect(await tryConnect(fed, old)).toBe('UNAUTHENTICATED');
    // ... and neither is its signing key, even over the new folder's TLS connection.
    const site = new ScriptedSite(fresh, fed.address);
    const outcome = await new Promise<string>((resolve) => {
      const cancel = site.client.subscribe(
        site.hello(old.signingKey.secretKey),
        (task) => {
          if (task.kind?.$case === 'manifest') resolve('connected');
        },
        (error) => resolve(status[(error as ServiceError | undefined)?.code ?? status.OK] ?? 'ended'),
      );
      setTimeout(() => cancel(), 10_000);
    });
    site.close();
    expect(outcome).not.toBe('connected');
    expect(outcome).toMatch(/UNAUTHENTICATED|PERMISSION_DENIED/);
  }, 30_000);

  it('warns at warn level when a member connects with a certificate that expires within 30 days', async () => {
    fed = await start();
    const dir = fed.siteDir('site-a');
    const { requestPath } = await createRenewalRequest(dir, { sameKey: true });
    const operator = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);
    const renewed = await renewMemberCertificate(
      await readJsonFile(requestPath, 'renewal request'),
      'site-a',
      operator.ca,
      operator.manifest,
      operator.signingKey.secretKey,
      { validityDays: 10 },
    );
    await saveAndReload(fed, renewed.signedManifest);
    const identity = await installRenewal(dir, renewed.admission);
    expect(await tryConnect(fed, await loadMemberIdentity(fed.siteDir('site-b')))).toBe('connected');
    expect(fed.warnings).toEqual([]);

    expect(await tryConnect(fed, identity)).toBe('connected');

    const warning = await waitUntil(
      () => fed!.warnings.find((l) => l.event === 'certificate.expiring'),
      5_000,
      'the certificate warning',
    );
    expect(warning.fields).toMatchObject({ member: 'site-a', daysLeft: 9 });
    expect(fed.coordinator.observer.expiringCertificates().map((c) => c.member)).toEqual(['site-a']);
  }, 30_000);
});
