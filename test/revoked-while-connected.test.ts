import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { dealKeys } from '../client-node/key-ceremony.js';
import {
  channelCredentials,
  loadCoordinatorIdentity,
  revokeMember,
  saveCoordinatorManifest,
} from '../common/identity/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { SiteServiceClient } from '../proto/gen/hefl/v1/services.js';
import { researcherRpc, signedSubmission, submitJob } from './support/researcher-requests.js';
import { encryptedUpdate, refusal, ScriptedSite, type TaskKind } from './support/scripted-site.js';
import { startTlsFederation, type TlsFederation, waitUntil } from './support/tls-federation.js';

/*
 * Issue 12, item 4: revoking a site reaches its open task stream. The coordinator closes
 * the stream of a site revoked while connected (the site is told why), offers it no
 * further job (an offer carries the researcher's signed submission), and recruiting stops
 * waiting for its answer. Real mutual TLS on 127.0.0.1; the manifest is revoked on disk
 * as `hefl federation revoke` does, and the running coordinator reloads it.
 */

const JOB = parseJobSpec({
  name: 'revoked-while-connected',
  model: { kind: 'logreg' },
  rounds: 1,
  minSites: 2,
  maxSites: 3,
  data: { label: 'event', features: ['age'] }, // the shape encryptedUpdate sends
  // Far longer than any wait below: recruiting must end because every admitted site answered.
  recruitSeconds: 120,
  roundDeadlineSeconds: 60,
});

/** A scripted site whose task stream's end (and the status it ended with) is observed. */
async function connectedSite(fed: TlsFederation, id: string) {
  const site = new ScriptedSite(await fed.member(id), fed.address);
  // Kept in the site's own list, so its waitForTask sees them.
  const tasks: TaskKind[] = site.tasks;
  let ended: { error?: ServiceError } | undefined;
  const cancel = site.client.subscribe(
    site.hello(),
    (task) => {
      if (task.kind) tasks.push(task.kind);
    },
    (error) => {
      ended = { error: error as ServiceError | undefined };
    },
  );
  await waitUntil(() => tasks.find((t) => t.$case === 'manifest'), 5_000, `${id}'s manifest`);
  return {
    site,
    tasks,
    ended: () => ended,
    close: () => {
      cancel();
      site.close();
    },
  };
}

async function revoke(fed: TlsFederation, siteId: string): Promise<void> {
  const reloads = fed.logs.filter((l) => l.event === 'manifest.reloaded').length;
  const coordinator = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);
  await saveCoordinatorManifest(
    fed.provisioned.coordinatorDir,
    revokeMember(coordinator.manifest, siteId, coordinator.signingKey.secretKey),
  );
  await waitUntil(
    () => (fed.logs.filter((l) => l.event === 'manifest.reloaded').length > reloads ? true : undefined),
    5_000,
    'the coordinator to reload the manifest',
  );
}

describe('a site revoked while connected', () => {
  let fed: TlsFederation | undefined;
  const closers: { close(): void }[] = [];

  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await fed?.stop();
    fed = undefined;
  });

  it('loses its task stream with the reason, is offered no later job, and recruiting does not wait for it', async () => {
    fed = await startTlsFederation(['site-a', 'site-b', 'site-c']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    closers.push(client);
    const [a, b, c] = await Promise.all(['site-a', 'site-b', 'site-c'].map((id) => connectedSite(fed!, id)));
    closers.push(a!, b!, c!);

    await revoke(fed, 'site-c');
    const ended = await waitUntil(c!.ended, 3_000, 'site-c’s task stream to be closed');
    const { jobId } = await submitJob(
      client,
      signedSubmission(JOB, {
        signingSecretKey: researcher.signingKey.secretKey,
        sealingPublicKey: researcher.sealingKey.publicKey,
      }),
    );
    for (const s of [a!, b!]) {
      await s.site.waitForTask('jobOffer', (o) => o.jobId === jobId);
      await s.site.client.decide(s.site.decision(jobId, JOB.hash));
    }
    const ceremony = await a!.site.waitForTask('keyCeremony', (k) => k.jobId === jobId, 5_000);

    expect({ code: status[ended.error?.code ?? status.OK], details: ended.error?.details }).toEqual({
      code: 'PERMISSION_DENIED',
      details: 'permission denied: member is revoked',
    });
    expect(c!.tasks.filter((t) => t.$case === 'jobOffer')).toEqual([]);
    expect(ceremony.sites.map((s) => s.siteId)).toEqual(['site-a', 'site-b']);
    expect(fed.logs.find((l) => l.event === 'site.disconnected-revoked')?.fields).toEqual({ site: 'site-c' });
  });

  it('revoked after the job was offered to it: recruiting ends once every site still admitted has answered', async () => {
    fed = await startTlsFederation(['site-a', 'site-b', 'site-c']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    closers.push(client);
    const [a, b, c] = await Promise.all(['site-a', 'site-b', 'site-c'].map((id) => connectedSite(fed!, id)));
    closers.push(a!, b!, c!);
    const { jobId } = await submitJob(
      client,
      signedSubmission(JOB, {
        signingSecretKey: researcher.signingKey.secretKey,
        sealingPublicKey: researcher.sealingKey.publicKey,
      }),
    );
    for (const s of [a!, b!, c!]) await s.site.waitForTask('jobOffer', (o) => o.jobId === jobId);
    for (const s of [a!, b!]) await s.site.client.decide(s.site.decision(jobId, JOB.hash));
    expect(fed.coordinator.jobs.get(jobId).state).toBe('recruiting'); // site-c has not answered

    await revoke(fed, 'site-c');
    const ceremony = await a!.site.waitForTask('keyCeremony', (k) => k.jobId === jobId, 5_000);

    expect(ceremony.sites.map((s) => s.siteId)).toEqual(['site-a', 'site-b']);
    expect(fed.coordinator.jobs.get(jobId).state).toBe('keying');
    expect(c!.ended()?.error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('revoked after accepting, before recruiting ended: it is left out of the job and its key ceremony', async () => {
    fed = await startTlsFederation(['site-a', 'site-b', 'site-c']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    closers.push(client);
    const [a, b, c] = await Promise.all(['site-a', 'site-b', 'site-c'].map((id) => connectedSite(fed!, id)));
    closers.push(a!, b!, c!);
    const { jobId } = await submitJob(
      client,
      signedSubmission(JOB, {
        signingSecretKey: researcher.signingKey.secretKey,
        sealingPublicKey: researcher.sealingKey.publicKey,
      }),
    );
    for (const s of [a!, b!, c!]) await s.site.waitForTask('jobOffer', (o) => o.jobId === jobId);
    for (const s of [a!, c!]) await s.site.client.decide(s.site.decision(jobId, JOB.hash));

    await revoke(fed, 'site-c');
    await b!.site.client.decide(b!.site.decision(jobId, JOB.hash));
    const ceremony = await a!.site.waitForTask('keyCeremony', (k) => k.jobId === jobId, 5_000);

    expect(ceremony.sites.map((s) => s.siteId)).toEqual(['site-a', 'site-b']);
    expect(fed.coordinator.jobs.get(jobId).accepted).toEqual(['site-a', 'site-b']);
  });

  it('revoked while its update is arriving: the update is refused at its end, not taken', async () => {
    fed = await startTlsFederation(['site-a', 'site-b', 'site-c']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    closers.push(client);
    const [a, b, c] = await Promise.all(['site-a', 'site-b', 'site-c'].map((id) => connectedSite(fed!, id)));
    closers.push(a!, b!, c!);
    const { jobId } = await submitJob(
      client,
      signedSubmission(JOB, {
        signingSecretKey: researcher.signingKey.secretKey,
        sealingPublicKey: researcher.sealingKey.publicKey,
      }),
    );
    for (const s of [a!, b!, c!]) {
      await s.site.waitForTask('jobOffer', (o) => o.jobId === jobId);
      await s.site.client.decide(s.site.decision(jobId, JOB.hash));
    }
    const ceremony = await a!.site.waitForTask('keyCeremony', (k) => k.jobId === jobId);
    const dealt = await dealKeys(
      a!.site.keys,
      {
        jobId,
        profileId: JOB.spec.he.profile,
        quantizer: { clipRange: JOB.spec.he.clipRange, maxSites: JOB.spec.maxSites },
      },
      ceremony.sites.map((s) => ({ siteId: s.siteId, sealingPublicKey: new Uint8Array(s.sealingPublicKey) })),
    );
    closers.push({ close: () => dealt.cipher.delete() });
    await a!.site.client.postKeyBundle(dealt.bundle);
    await c!.site.waitForTask('roundOpen', (r) => r.jobId === jobId && r.round === 0);
    // The job's key is shared by its sites: c's update is well formed under it.
    const update = encryptedUpdate(c!.site.keys, dealt.cipher, { jobId, round: 0 });
    const raw = new SiteServiceClient(fed.address, channelCredentials((await fed.member('site-c')).tls));
    closers.push(raw);
    const tmp = join(fed.provisioned.coordinatorDir, 'blobs', 'tmp');
    const call = raw.upload(() => {});
    const answered = new Promise((resolve, reject) => {
      call.on('status', (s) =>
        s.code === status.OK ? resolve(s) : reject(Object.assign(new Error(s.details), s)),
      );
    });

    const bytes = Buffer.concat(update.parts);
    call.write({ kind: { $case: 'header', value: update.header } });
    // The file is opened with the first data: send one byte, then revoke while it is being written.
    call.write({ kind: { $case: 'data', value: bytes.subarray(0, 1) } });
    await waitUntil(() => (readdirSync(tmp).length > 0 ? true : undefined), 5_000, 'the upload to be opened');
    await revoke(fed, 'site-c');
    call.write({ kind: { $case: 'data', value: bytes.subarray(1) } });
    call.end();
    const refused = await refusal(answered);

    expect({ code: status[refused.code], details: refused.details }).toEqual({
      code: 'PERMISSION_DENIED',
      details: 'permission denied: member is revoked',
    });
    expect(fed.coordinator.jobs.get(jobId).rounds[0]?.uploads.has('site-c')).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
