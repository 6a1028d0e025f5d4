import { afterEach, describe, expect, it } from 'vitest';
import { dataReportValues } from '../common/fl/data-report-layout.js';
import { specRoundLengths } from '../common/fl/round-lengths.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import type { ParsedJob } from '../common/job/job-spec.js';
import { DelayingProxy } from './support/delaying-proxy.js';
import { LayoutPoisoner, type PoisonPlan } from './support/layout-poisoner.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob, syntheticRoundLengths } from './support/synthetic-job.js';

const SETTINGS = { rounds: 2, minSites: 2, maxSites: 3, roundDeadlineSeconds: 8 };
/** (a) No feature list: 8 numeric columns from the sites' CSV, 2 hashed categorical ones. */
const HASHED = syntheticJob(SETTINGS);
/** (b) Declared features: a numeric range, a listed numeric column and two vocabularies. */
const DECLARED = syntheticJob({
  ...SETTINGS,
  data: {
    label: 'event',
    features: [
      { name: 'age', type: 'numeric', range: [0, 130], outOfRange: 'keep' },
      'cholesterol',
      {
        name: 'chest_pain',
        type: 'categorical',
        vocabulary: { codes: ['typical', 'atypical', 'non-anginal', 'asymptomatic'] },
      },
      {
        name: 'ecg',
        type: 'categorical',
        vocabulary: { codes: ['normal', 'st-t-abnormality', 'lv-hypertrophy'] },
      },
    ],
  },
});

describe('layout poisoning: the job fixes every upload’s sizes before round 0, not the first uploader', () => {
  let fed: TestFederation | undefined;
  let slowLink: DelayingProxy | undefined;
  let foreign: SiteVectorCipher | undefined;
  afterEach(async () => {
    await fed?.stop();
    await slowLink?.stop();
    foreign?.delete();
    fed = slowLink = foreign = undefined;
  });

  /** Three sites; site-c (index 2) is the poisoner's node, on a direct link; the honest ones are slowed. */
  async function federationWith(job: ParsedJob, plan: Omit<PoisonPlan, 'honest'>, honest = lengthsOf(job)) {
    foreign = await generateSiteCipher(job.spec.he.profile, {
      clipRange: job.spec.he.clipRange,
      maxSites: job.spec.maxSites,
    });
    slowLink = new DelayingProxy(300);
    const proxied = await slowLink.start();
    let poisoner: LayoutPoisoner | undefined;
    fed = await startTestFederation({
      sites: 3,
      siteAddress: slowLink.route(proxied),
      clientFor: (i, address, keys) => {
        if (i !== 2) return undefined;
        poisoner = new LayoutPoisoner(address, keys, foreign!, { ...plan, honest });
        return poisoner;
      },
    });
    await waitForSites(fed, 10_000);
    return { fed, poisoner: poisoner! };
  }

  function lengthsOf(job: ParsedJob) {
    return specRoundLengths(job.spec) ?? syntheticRoundLengths(job);
  }

  for (const [name, job] of [
    ['(a) no declared features, hashed categorical columns', HASHED],
    ['(b) declared features', DECLARED],
  ] as const) {
    it(`${name}: a wrong-but-in-bounds size sent first in round 0 and round 1 is refused; the honest uploads (its own too) complete the job`, async () => {
      const reportValues = dataReportValues(job.spec.data);
      const { fed, poisoner } = await federationWith(job, {
        rounds: [0, 1],
        ...(reportValues > 0 ? { dataReportValues: reportValues } : {}),
      });

      const { jobId } = await fed.researcher.submit(job);
      const final = await waitForJob(fed.researcher, jobId, 120_000);

      const [round0, round1] = await Promise.all([poisoner.outcomes.get(0), poisoner.outcomes.get(1)]);
      expect(round0, 'site-c never saw round 0 open').toMatch(
        /^INVALID_ARGUMENT: invalid argument: site-c's section stats declares \d+ values; the job's layout fixes \d+$/,
      );
      expect(round1, 'site-c never saw round 1 open').toMatch(
        /^INVALID_ARGUMENT: invalid argument: site-c's section update declares \d+ values; the job's layout fixes \d+$/,
      );
      expect(final.state, final.reason).toBe('completed');
      expect(final.roundStatus[0]?.participants).toEqual(['site-a', 'site-b', 'site-c']);
      expect(final.roundStatus[1]?.participants).toEqual(['site-a', 'site-b', 'site-c']);
    }, 150_000);
  }

  it('(a) round 1 alone: a wrong-but-in-bounds update length sent first is refused (the update length is fixed before round 0 too)', async () => {
    const { fed, poisoner } = await federationWith(HASHED, { rounds: [1] });

    const { jobId } = await fed.researcher.submit(HASHED);
    const final = await waitForJob(fed.researcher, jobId, 120_000);

    expect(poisoner.outcomes.has(0)).toBe(false);
    expect(await poisoner.outcomes.get(1), 'site-c never saw round 1 open').toMatch(
      /^INVALID_ARGUMENT: invalid argument: site-c's section update declares \d+ values; the job's layout fixes \d+$/,
    );
    expect(final.state, final.reason).toBe('completed');
    expect(final.roundStatus[1]?.participants).toEqual(['site-a', 'site-b', 'site-c']);
  }, 150_000);

  it('a site that states another length in its signed acceptance is excluded, audited with the reason; the job completes without it', async () => {
    const { fed } = await federationWith(HASHED, { rounds: [], lieInDecisionBy: 3 });

    const { jobId } = await fed.researcher.submit(HASHED);
    const final = await waitForJob(fed.researcher, jobId, 120_000);

    const excluded = fed.audit.entries.filter((e) => e.action === 'job.excluded');
    expect(excluded.map((e) => [e.actor, e.details])).toEqual([
      [
        'coordinator',
        {
          jobId,
          site: 'site-c',
          reason:
            'stated a round-0 statistics length other than the one the majority of accepting sites stated',
        },
      ],
    ]);
    expect(final.state, final.reason).toBe('completed');
    expect(final.roundStatus[0]?.participants).toEqual(['site-a', 'site-b']);
  }, 150_000);
});
