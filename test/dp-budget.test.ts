import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

function dpJob(unit: 'record' | 'site', epsilon: number, name: string) {
  return syntheticJob({
    name,
    rounds: 2,
    minSites: 2,
    he: { clipRange: 20 },
    dp: { unit, epsilon, clipNorm: 1 },
    roundDeadlineSeconds: 30,
  });
}

// record: DP-SGD in local training (the default unit); site: DP-FedAvg on each update.
describe.each(['record', 'site'] as const)(
  'a site privacy budget (default policy: epsilon 10), %s-level DP',
  (unit) => {
    let fed: TestFederation;
    beforeAll(async () => {
      fed = await startTestFederation({ sites: 2 });
      await waitForSites(fed);
    });
    afterAll(async () => {
      await fed?.stop();
    });

    it('pays for a DP job, then declines a job that would exceed what is left, saying why in the status and the audit log', async () => {
      const first = await fed.researcher.submit(dpJob(unit, 8, 'first'));
      expect((await waitForJob(fed.researcher, first.jobId, 60_000)).state).toBe('completed');

      const second = await fed.researcher.submit(dpJob(unit, 5, 'second'));
      const status = await waitForJob(fed.researcher, second.jobId, 60_000);
      expect(status.state).toBe('failed');
      expect(status.decisions).toHaveLength(2);
      for (const decision of status.decisions) {
        expect(decision.accept).toBe(false);
        expect(decision.reason).toMatch(/job asks epsilon 5 but this site has 2 of 10 left/);
      }
      expect(status.reason).toMatch(/only 0 site\(s\) accepted.*epsilon 5 but this site has 2 of 10 left/);
      const declined = fed.audit.entries.filter(
        (e) => e.action === 'job.declined' && e.details.jobId === second.jobId,
      );
      expect(declined).toHaveLength(2);
      expect(String(declined[0]!.details.reason)).toMatch(/epsilon 5/);
    }, 120_000);
  },
);
