/**
 * Site parts that run inside the caller's process: the site node itself with its gRPC
 * client (the in-process federation of tests and experiments), local training and
 * evaluation, the model release package and predictions from a released model. Importing
 * this file loads TensorFlow.js (and the site node loads node-seal on first use), so `cli/`
 * imports it only lazily (`await import`). The light surface is `./index.ts`.
 */
export { CoordinatorClient } from './coordinator-client.js';
export { noSiteAudit, type SiteAudit } from './site-audit.js';
export type { FederationView, SiteKeys } from './site-keys.js';
export { SiteNode, type SiteNodeDeps } from './site-node.js';
export * from './training/index.js';
