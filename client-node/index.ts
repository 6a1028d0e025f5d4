import type { RunningSite, SiteOptions } from './start-site.js';

/**
 * The site node's public surface for `cli/` and `experiments/` (the rest of `client-node/`
 * is internal; `test/architecture` checks it). Loading this file loads neither TensorFlow.js
 * nor node-seal, so `hefl --help` and `hefl job status` stay fast: `startSite` loads the
 * site's runtime on first call. The parts that need TensorFlow.js are in `./in-process.ts`.
 */
export * from './data/index.js';
export * from './data/mapping/index.js';
export type { ModelCard, ReleasePackage } from './model-release.js';
export { ApprovalStore, normaliseJobHash } from './policy/approval-store.js';
export { BudgetStore } from './policy/budget-store.js';
export { type PendingOffer, PendingOffers } from './policy/pending-offers.js';
export { resolveSitePolicy, SITE_POLICY_FILES } from './policy/resolve-site-policy.js';
export type { SitePolicyContext } from './policy/site-policy-context.js';
export { sitePolicyTemplate } from './policy/site-policy-template.js';
export { noiseMultiplierFor } from './privacy/noise-multiplier-for.js';
export { recordDpPlan } from './privacy/record-dp-plan.js';
export { decodeExactSection, exactSection } from './round-sections.js';
export { loadSiteDataset, type SiteDataSource, type SiteDataset } from './site-dataset.js';
export type { RunningSite, SiteOptions } from './start-site.js';
export * from './strategy/index.js';
export type { BackendPreference } from './training/select-backend.js';
export { trainingConfigFor } from './training-config-for.js';

/** The site daemon's composition root (`./start-site.ts`), loaded on first use. */
export async function startSite(options: SiteOptions): Promise<RunningSite> {
  const { startSite: start } = await import('./start-site.js');
  return start(options);
}
