import type { DpBudget, DpUnit } from '../../common/dp/dp-budget.js';
import type { PendingOffer } from './pending-offers.js';
import { defaultSitePolicy, type SitePolicy } from './site-policy.js';

/** What the site consults when a job is offered: its policy, its budget ledger and its approvals. */
export interface SitePolicyContext {
  readonly policy: SitePolicy;
  readonly budget: {
    current(): DpBudget;
    spend(jobHash: string, epsilon: number, unit?: DpUnit): Promise<DpBudget>;
  };
  readonly approvals: {
    approved(): Promise<ReadonlySet<string>>;
    /** Jobs hospital IT declined (`hefl site decline`); absent: none. */
    declined?(): Promise<ReadonlySet<string>>;
  };
  /** Where the node lists the offers it holds for approval (`pending-approvals.json`); absent: memory only. */
  readonly pendingOffers?: { write(offers: readonly PendingOffer[]): Promise<void> };
}

/**
 * The default policy with an in-memory budget and no approvals — for in-process test
 * harnesses only. `hefl site start` always uses the site folder's policy and files.
 */
export function defaultPolicyContext(): SitePolicyContext {
  const policy = defaultSitePolicy();
  let budget: DpBudget = { epsilonTotal: policy.budget.epsilon, delta: policy.budget.delta, spent: [] };
  return {
    policy,
    budget: {
      current: () => budget,
      spend: async (jobHash, epsilon, unit) => {
        budget = { ...budget, spent: [...budget.spent, { jobHash, epsilon, ...(unit ? { unit } : {}) }] };
        return budget;
      },
    },
    approvals: { approved: async () => new Set<string>() },
  };
}
