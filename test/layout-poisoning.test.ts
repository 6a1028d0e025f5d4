import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { exactSection } from '../client-node/round-sections.js';
import { dataReportValues } from '../common/fl/data-report-layout.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import { DelayingProxy } from './support/delaying-proxy.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { MisbehavingSite } from './support/misbehaving-site.js';
import { encryptedUpdate, refusal } from './support/scripted-site.js';
import { syntheticJob } from './support/synthetic-job.js';

const JOB = syntheticJob({ rounds: 2, minSites: 2, maxSites: 3, roundDeadlineSeconds: 8 });

describe('layout poisoning: the job, not the first uploader, fixes what an update looks like', () => {
  let fed: TestFederation | undefined;
  let attacker: MisbehavingSite | undefined;
  let slowLink: DelayingProxy | undefined;
  afterEach(async () => {
    attacker?.close();
    await fed?.stop();
    await slowLink?.stop();
    fed = attacker = slowLink = undefined;
  });

  it('refuses a well-formed 4-value section sent the moment round 0 opens; the honest sites finish the job', async () => {
    // The honest sites are on a slow link, so the poisoner is first on every run.
    slowLink = new DelayingProxy(300);
    const proxied = await slowLink.start();
    fed = await startTestFederation({ sites: 3, startSites: 2, siteAddress: slowLink.route(proxied) });
    await waitForSites(fed, 10_000, 2);
    // site-c is in the job but, instead of its statistics, races a 4-value section under a
    // key of its own (well-formed: the coordinator cannot tell whose key it is).
    const ownCipher = await generateSiteCipher(JOB.spec.he.profile, {
      clipRange: JOB.spec.he.clipRange,
      maxSites: JOB.spec.maxSites,
    });
    let poisoned: Promise<string> | undefined;
    attacker = new MisbehavingSite(fed.siteKeys[2]!, `127.0.0.1:${fed.coordinator.port}`, (open, site) => {
      if (open.round !== 0 || poisoned) return;
      const update = encryptedUpdate(site.keys, ownCipher, {
        jobId: open.jobId,
        round: 0,
        sections: [
          exactSection(ownCipher, 'stats', [1, 2, 3, 4]),
          exactSection(ownCipher, 'datareport', new Float64Array(dataReportValues(JOB.spec.data))),
        ],
      });
      poisoned = refusal(site.client.upload(update.header, update.parts), 10_000).then(
        (e) => `${status[e.code]}: ${e.details}`,
        (e: Error) => e.message,
      );
    });

    const { jobId } = await fed.researcher.submit(JOB);
    const final = await waitForJob(fed.researcher, jobId, 120_000);
    ownCipher.delete();

    expect(poisoned, 'site-c never saw round 0 open').toBeDefined();
    expect(await poisoned).toMatch(
      /^INVALID_ARGUMENT: invalid argument: section stats declares 16 values; the job allows /,
    );
    expect(final.state, final.reason).toBe('completed');
    expect(final.roundStatus[0]?.participants).toEqual(['site-a', 'site-b']);
  });
});
