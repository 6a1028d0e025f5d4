import { join } from 'node:path';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { HeflError } from '../common/errors/index.js';
import { channelCredentials, loadMemberIdentity } from '../common/identity/index.js';
import type { EventLog } from '../common/log/event-log.js';
import { ensureStateVersion } from '../common/state/state-version.js';
import { systemClock } from '../common/time/clock.js';
import { CoordinatorClient } from './coordinator-client.js';
import { ApprovalStore } from './policy/approval-store.js';
import { BudgetStore } from './policy/budget-store.js';
import { PendingOffers } from './policy/pending-offers.js';
import { resolveSitePolicy } from './policy/resolve-site-policy.js';
import { FileSiteAudit } from './site-audit.js';
import type { SiteDataSource } from './site-dataset.js';
import { SiteFederation } from './site-federation.js';
import type { SiteKeys } from './site-keys.js';
import { SiteNode } from './site-node.js';
import { type BackendPreference, type Trainer, WorkerTrainer } from './training/index.js';

export interface SiteOptions {
  /** The site's folder, as made by `hefl site enroll` + `hefl site install-admission`. */
  readonly dir: string;
  /** host:port of the coordinator; the site only ever dials out. */
  readonly coordinator: string;
  readonly data: SiteDataSource;
  /** A policy file; default: site-policy.yaml/json in the site folder, else the built-in defaults. */
  readonly policyPath?: string;
  readonly log: EventLog;
  readonly logError?: EventLog;
  readonly logWarn?: EventLog;
  readonly onJobEnded?: (jobId: string, state: string, reason: string) => void;
  /**
   * Builds the site's trainer; default: a worker-thread trainer (`WorkerTrainer`). Only tests
   * set it, through a test-only entry script (e.g. a slow trainer for straggler tests): a
   * deployment has no way to change how its site trains.
   */
  readonly createTrainer?: () => Promise<Trainer>;
  /** The tfjs backend to train with (default 'auto'; 'cpu' only when asked for; a failing one is an error). */
  readonly backend?: BackendPreference;
}

export interface RunningSite {
  readonly siteId: string;
  readonly backend: string;
  /** Settles only if the coordinator refuses this site for good (revoked, not admitted, wrong peer). */
  readonly refused: Promise<{ reason: string; whatToDo: string }>;
  stop(): Promise<void>;
}

/**
 * Composition root of a site node: loads the site's own keys (refusing key files others
 * can read), the pinned coordinator identity and manifest, mutual-TLS credentials, and a
 * worker-thread trainer, then dials out to the coordinator.
 */
export async function startSite(options: SiteOptions): Promise<RunningSite> {
  // A folder written by a newer hefl is refused before anything in it is read.
  await ensureStateVersion(options.dir);
  const identity = await loadMemberIdentity(options.dir);
  if (identity.role !== 'site') {
    throw new HeflError('invalid_config', `${options.dir} holds a ${identity.role}'s identity, not a site's`);
  }
  const keys: SiteKeys = {
    siteId: identity.id,
    signingPublicKey: identity.signingKey.publicKey,
    signingSecretKey: identity.signingKey.secretKey,
    sealingPublicKey: identity.sealingKey.publicKey,
    sealingSecretKey: identity.sealingKey.secretKey,
  };
  const federation = new SiteFederation(identity.coordinatorSigningPublicKey, identity.manifest);
  const resolved = await resolveSitePolicy({ dir: options.dir, policyPath: options.policyPath });
  options.log('site.policy', {
    source: resolved.path ?? 'built-in defaults (no site-policy.yaml in the site folder)',
    approval: resolved.policy.approval,
    requireDp: resolved.policy.requireDp,
  });
  const policy = {
    policy: resolved.policy,
    budget: await BudgetStore.open(options.dir, resolved.policy.budget),
    approvals: new ApprovalStore(options.dir),
    pendingOffers: new PendingOffers(options.dir),
  };
  // Offers held by an earlier run are offered again by the coordinator on connect.
  await policy.pendingOffers.write([]);
  const trainer = await (options.createTrainer ?? (() => WorkerTrainer.create(options.backend)))();
  options.log('site.backend', {
    site: keys.siteId,
    backend: trainer.backend.name,
    reason: trainer.backend.reason,
  });
  const client = new CoordinatorClient(options.coordinator, channelCredentials(identity.tls));
  const auditWriter = AuditLogWriter.open(join(options.dir, 'audit.jsonl'), identity.signingKey, systemClock);
  let onRefused: (failure: { reason: string; whatToDo: string }) => void = () => {};
  const refused = new Promise<{ reason: string; whatToDo: string }>((resolve) => {
    onRefused = resolve;
  });
  const node = new SiteNode({
    keys,
    federation,
    client,
    trainer,
    clock: systemClock,
    data: options.data,
    log: options.log,
    ...(options.logError ? { logError: options.logError } : {}),
    ...(options.logWarn ? { logWarn: options.logWarn } : {}),
    onPermanentFailure: (failure) => onRefused(failure),
    audit: new FileSiteAudit(auditWriter, identity.signingKey.publicKey),
    policy,
    ...(options.onJobEnded ? { onJobEnded: options.onJobEnded } : {}),
  });
  node.start();
  return {
    siteId: keys.siteId,
    backend: trainer.backend.name,
    refused,
    async stop() {
      node.stop();
      client.close();
      await trainer.close();
      auditWriter.close();
    },
  };
}
