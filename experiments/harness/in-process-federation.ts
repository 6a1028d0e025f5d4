import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { ResearcherClient, type ResearcherKeys } from '../../cli/researcher/researcher-client.js';
import {
  CoordinatorClient,
  type FederationView,
  InProcessTrainer,
  noSiteAudit,
  type SiteKeys,
  SiteNode,
  type Trainer,
} from '../../client-node/in-process.js';
import {
  generateSyntheticHospitals,
  type SiteDataSource,
  type SitePolicyContext,
} from '../../client-node/index.js';
import { bytesEqual, generateBoxKeyPair, generateSigningKeyPair } from '../../common/crypto/index.js';
import { systemClock } from '../../common/time/clock.js';
import type { HoldAggregation } from '../../coordinator/index.js';
import {
  FileBlobStore,
  type Member,
  MemoryAuditSink,
  type RunningCoordinator,
  StaticMemberDirectory,
  startCoordinatorServer,
  type UploadLimitSettings,
} from '../../coordinator/index.js';

/*
 * Why this lives in experiments/ and tests reach it through test/support/local-federation.ts:
 * the experiments (heart-disease, glm-heart-disease, dp-tradeoff) run real federated jobs
 * through it, and experiments must not depend on test/. It builds a coordinator and site
 * nodes, so it can only sit above both (cli/ or experiments/), and cli/ is the shipped
 * command, which has no plaintext in-process federation. It uses the public surfaces only
 * (coordinator/index.ts, client-node/index.ts and in-process.ts). Test-only helpers live in
 * test/support/local-federation.ts.
 */

export interface InProcessFederation {
  readonly dir: string;
  readonly coordinator: RunningCoordinator;
  readonly audit: MemoryAuditSink;
  readonly sites: SiteNode[];
  readonly siteKeys: SiteKeys[];
  readonly researcher: ResearcherClient;
  readonly researcherKeys: ResearcherKeys;
  readonly federation: FederationView;
  readonly logs: { site: string; event: string; fields: Record<string, unknown> }[];
  /** The coordinator's operator log lines (e.g. `site.connected` once a site's task stream is attached). */
  readonly coordinatorLogs: { event: string; fields: Record<string, unknown> }[];
  /** Starts site `index` if it was held back (`startSites`): a site that comes online later. */
  startSite(index: number): void;
  /** Stops site `index` and starts a fresh node with the same keys and data: a restarted process. */
  restartSite(index: number): void;
  stop(): Promise<void>;
}

/**
 * A whole federation in one process over real gRPC on 127.0.0.1:0 (plaintext transport
 * for now), real node-seal and real training: the coordinator, `sites` site nodes on the
 * built-in synthetic data, and a researcher client.
 */
export async function startInProcessFederation(options: {
  sites: number;
  seed?: number;
  dataFiles?: string[];
  /** Each site's data source (overrides `dataFiles`), e.g. a FHIR export or OMOP tables. */
  dataSources?: SiteDataSource[];
  /** Lets a test route one site through a proxy (e.g. to record every byte it sends). */
  siteAddress?: (siteIndex: number, coordinatorAddress: string) => string;
  /** Lets a test give one site another trainer (e.g. a deliberately slow one). */
  trainerFor?: (siteIndex: number, shared: Trainer) => Trainer;
  /** Lets a test give one site another client (e.g. one that uploads garbage). */
  clientFor?: (siteIndex: number, address: string, keys: SiteKeys) => CoordinatorClient | undefined;
  /** How many sites start at once (default all); the rest wait for `startSite`. */
  startSites?: number;
  /** Lets a test give one site its own policy, ledger and approvals (default: built-in defaults). */
  policyFor?: (siteIndex: number) => SitePolicyContext | undefined;
  /** The coordinator's upload limits (e.g. a short idle timeout for a test). */
  uploadLimits?: UploadLimitSettings;
  /** Fault injection: holds each round in 'aggregating' (see HoldAggregation). */
  holdAggregation?: HoldAggregation;
}): Promise<InProcessFederation> {
  const dir = mkdtempSync(join(tmpdir(), 'hefl-fed-'));
  const coordinatorSigning = generateSigningKeyPair();
  const siteKeys: SiteKeys[] = Array.from({ length: options.sites }, (_, i) => {
    const signing = generateSigningKeyPair();
    const sealing = generateBoxKeyPair();
    return {
      siteId: `site-${String.fromCharCode(97 + i)}`,
      signingPublicKey: signing.publicKey,
      signingSecretKey: signing.secretKey,
      sealingPublicKey: sealing.publicKey,
      sealingSecretKey: sealing.secretKey,
    };
  });
  const rSigning = generateSigningKeyPair();
  const rSealing = generateBoxKeyPair();
  const researcherKeys: ResearcherKeys = {
    signingSecretKey: rSigning.secretKey,
    sealingPublicKey: rSealing.publicKey,
    sealingSecretKey: rSealing.secretKey,
  };
  const members: Member[] = [
    ...siteKeys.map((k) => ({
      id: k.siteId,
      role: 'site' as const,
      signingPublicKey: k.signingPublicKey,
      sealingPublicKey: k.sealingPublicKey,
      revoked: false,
    })),
    {
      id: 'researcher-1',
      role: 'researcher',
      signingPublicKey: rSigning.publicKey,
      sealingPublicKey: rSealing.publicKey,
      revoked: false,
    },
  ];
  // Plaintext in-process transport: no TLS client certificates to check, only signatures.
  const directory = new StaticMemberDirectory(members, { withoutPeerCertificates: true });
  const federation: FederationView = {
    coordinatorSigningKey: coordinatorSigning.publicKey,
    memberBySigningKey: (pk) => {
      const m = members.find((x) => bytesEqual(x.signingPublicKey, pk));
      return m ? { id: m.id, role: m.role } : undefined;
    },
    siteSealingKey: (siteId) => members.find((x) => x.id === siteId && x.role === 'site')?.sealingPublicKey,
  };
  const audit = new MemoryAuditSink();
  // The coordinator's operator log (kept apart from the sites' `logs`): waitForSites reads it.
  const coordinatorLogs: InProcessFederation['coordinatorLogs'] = [];
  const coordinator = await startCoordinatorServer(
    {
      clock: systemClock,
      blobs: await FileBlobStore.open(join(dir, 'blobs')),
      audit,
      members: directory,
      keys: {
        signingPublicKey: coordinatorSigning.publicKey,
        signingSecretKey: coordinatorSigning.secretKey,
      },
      credentials: ServerCredentials.createInsecure(),
      log: (event, fields) => coordinatorLogs.push({ event, fields }),
      ...(options.uploadLimits ? { uploadLimits: options.uploadLimits } : {}),
      ...(options.holdAggregation ? { holdAggregation: options.holdAggregation } : {}),
    },
    '127.0.0.1',
    0,
  );
  const address = `127.0.0.1:${coordinator.port}`;
  const dataFiles =
    options.dataFiles ??
    generateSyntheticHospitals({ sites: options.sites, seed: options.seed ?? 7 }).map((site, i) => {
      const path = join(dir, `site-${i}.csv`);
      writeFileSync(path, site.csv);
      return path;
    });
  const logs: InProcessFederation['logs'] = [];
  const trainer = await InProcessTrainer.create();
  const newSite = (keys: SiteKeys, i: number) => {
    const policy = options.policyFor?.(i);
    return new SiteNode({
      keys,
      federation,
      client:
        options.clientFor?.(i, address, keys) ??
        new CoordinatorClient(options.siteAddress?.(i, address) ?? address, credentials.createInsecure()),
      trainer: options.trainerFor?.(i, trainer) ?? trainer,
      clock: systemClock,
      data: options.dataSources?.[i] ?? { path: dataFiles[i]! },
      audit: noSiteAudit,
      log: (event, fields) => logs.push({ site: keys.siteId, event, fields }),
      ...(policy ? { policy } : {}),
    });
  };
  const sites = siteKeys.map(newSite);
  const started = new Set<number>();
  const startSite = (i: number) => {
    if (started.has(i)) return;
    started.add(i);
    sites[i]!.start();
  };
  for (let i = 0; i < (options.startSites ?? sites.length); i++) startSite(i);
  const researcher = new ResearcherClient(address, credentials.createInsecure(), researcherKeys);
  return {
    dir,
    coordinator,
    audit,
    sites,
    siteKeys,
    researcher,
    researcherKeys,
    federation,
    logs,
    coordinatorLogs,
    startSite,
    restartSite(i) {
      sites[i]!.stop();
      sites[i] = newSite(siteKeys[i]!, i);
      started.delete(i);
      startSite(i);
    },
    async stop() {
      for (const s of sites) s.stop();
      researcher.close();
      await coordinator.stop();
      await trainer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the job until it is finished or `timeoutMs` passes. */
export async function waitForJob(researcher: ResearcherClient, jobId: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await researcher.status(jobId);
    if (['completed', 'failed', 'cancelled'].includes(status.state)) return status;
    if (Date.now() > until)
      throw new Error(
        `job ${jobId} still ${status.state} after ${timeoutMs} ms (round ${status.currentRound})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until `count` sites (default: all) have an open task stream. */
export async function waitForSites(
  fed: InProcessFederation,
  timeoutMs = 10_000,
  count = fed.sites.length,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  // Connected means the coordinator attached the site's task stream (so a job submitted now is
  // offered to it), not only that the site started dialling.
  const attached = () =>
    new Set(fed.coordinatorLogs.filter((l) => l.event === 'site.connected').map((l) => l.fields.site)).size;
  while (
    fed.logs.filter((l) => l.event === 'site.connecting').length < count ||
    attached() < count ||
    Date.now() < until - timeoutMs + 300
  ) {
    if (Date.now() > until) throw new Error('sites did not connect');
    await new Promise((r) => setTimeout(r, 50));
  }
}
