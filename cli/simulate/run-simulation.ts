import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { BudgetStore, type DataInput, noiseMultiplierFor, readMappingFile } from '../../client-node/index.js';
import { bytesEqual, fromHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { channelCredentials, loadMemberIdentity } from '../../common/identity/index.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import type { AggregateMetrics } from '../../common/protocol/sealed-metrics.js';
import type { FetchModelReply, JobStatus } from '../../proto/gen/hefl/v1/services.js';
import { type RoundOutcome, readJobOutcome } from '../researcher/job-outcome.js';
import { openModelRelease } from '../researcher/open-model-release.js';
import { recordSeenHead } from '../researcher/record-seen-head.js';
import { ResearcherClient } from '../researcher/researcher-client.js';
import { writeReleasedModel } from '../researcher/write-released-model.js';
import { HeflProcess } from './hefl-process.js';
import { provisionFederation } from './provision-federation.js';
import { simulationSites } from './simulation-data.js';

export interface SimulationOptions {
  readonly sites: number;
  readonly rounds: number;
  readonly dataDir?: string;
  /** How each site reads its part of `dataDir`: csv (one file per site) or fhir/omop (one folder per site). */
  readonly input?: DataInput;
  /** The mapping file every site uses with fhir/omop input. */
  readonly mapping?: string;
  readonly label?: string;
  readonly categorical?: string[];
  /** A model spec (validated with the job). */
  readonly model: unknown;
  readonly strategy: string;
  readonly serverLearningRate?: number;
  readonly he: boolean;
  /** Differential privacy: the job's total epsilon (delta 1e-5, clip norm 1). */
  readonly dpEpsilon?: number;
  /** What the DP protects: one record at a site (DP-SGD, the default) or one site's update. */
  readonly dpUnit?: 'record' | 'site';
  readonly seed: number;
  readonly outDir?: string;
  readonly minSites?: number;
  readonly roundDeadlineSeconds: number;
  readonly local: { epochs: number; learningRate: number; batchSize: number };
  readonly timeoutSeconds: number;
  readonly onProgress: (line: string) => void;
  /** CLI script for the child processes (default: the running one). */
  readonly cliEntry?: string;
  /**
   * Fault injection for tests: called once each round is open, with the site processes
   * (kill one) and a way to start a site's process again on the same folder.
   */
  readonly onRoundOpen?: (round: number, sites: SiteProcesses) => void | Promise<void>;
  /** Fault injection for tests: extra environment for one site's process (e.g. HEFL_FAULT_TRAIN_DELAY_MS). */
  readonly siteEnv?: (siteId: string) => Record<string, string> | undefined;
}

/** The site processes of a simulation, for fault-injection tests. */
export interface SiteProcesses {
  readonly processes: ReadonlyMap<string, HeflProcess>;
  /** Starts the site's process again (same folder, data and flags) and waits until it has started. */
  restart(siteId: string): Promise<HeflProcess>;
}

/** One site's DP accounting for the job, from its own signed audit log (`site.accepted`). */
export interface SiteDpAccount {
  /** Epsilon reserved against the site's budget (the job's). */
  readonly epsilon: number;
  /** Epsilon the RDP accountant gives for the site's settings (record-level; <= epsilon). */
  readonly epsilonAccounted?: number;
  readonly noiseMultiplier: number;
  /** Record-level: Poisson sampling rate q = batch / the site's training rows. */
  readonly samplingRate?: number;
  /** Record-level: DP-SGD steps composed (local steps x rounds). */
  readonly steps?: number;
}

export interface RoundMetrics {
  readonly accuracy: number;
  readonly pooledAccuracy: number;
  readonly auc: number;
  readonly loss: number;
}

export interface SimulationResult {
  readonly jobId: string;
  readonly jobHash: string;
  readonly state: string;
  readonly reason: string;
  readonly sites: string[];
  readonly rounds: {
    round: number;
    participants: string[];
    absent: { siteId: string; reason: string }[];
    /** accuracy: mean of the sites' held-out accuracies; pooledAccuracy: over all held-out records. */
    metrics: RoundMetrics | null;
    bytesUp: number;
    bytesDown: number;
    seconds: number;
  }[];
  readonly final: RoundMetrics | null;
  /**
   * Present for DP jobs: the largest epsilon any site recorded against its budget for this
   * job, and each site's own accounting (under record-level DP each site chose its noise
   * from its own row count; noiseMultiplier at the top is then the largest of them).
   */
  readonly dp?: {
    unit: 'record' | 'site';
    epsilonSpent: number;
    delta: number;
    noiseMultiplier: number;
    spentBySite: Record<string, number>;
    sites: Record<string, SiteDpAccount>;
  };
  readonly he: {
    profile: string;
    insecure: boolean;
    bytesPerParam: number | null;
    parameters: number | null;
  };
  readonly modelHash: string | null;
  readonly outDir: string | null;
  /** With --out: where the released final model was written (TensorFlow.js layers + model card). */
  readonly modelDir: string | null;
  readonly seconds: number;
}

/**
 * `hefl simulate`: a whole federation on this machine — a coordinator and one process per
 * site on 127.0.0.1 with real gRPC, mutual TLS and node-seal — provisioned through the
 * real enrolment steps, running one job submitted by a researcher identity.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const started = Date.now();
  const root = options.outDir ? resolve(options.outDir) : mkdtempSync(join(tmpdir(), 'hefl-simulate-'));
  if (options.outDir) {
    mkdirSync(root, { recursive: true });
    if (readdirSync(root).length > 0)
      throw new HeflError('invalid_argument', `--out ${root} is not empty; choose a new folder`);
  }
  const processes: HeflProcess[] = [];
  let researcher: ResearcherClient | undefined;
  try {
    const dataRoot = join(root, 'data');
    mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
    const input = options.input ?? 'csv';
    if (input !== 'csv' && (!options.dataDir || !options.mapping))
      throw new HeflError(
        'invalid_argument',
        `--input ${input} needs --data DIR (one folder per site) and --mapping FILE`,
      );
    if (input === 'csv' && options.mapping)
      throw new HeflError('invalid_argument', '--mapping applies to --input fhir or omop');
    const mapping = options.mapping ? resolve(options.mapping) : undefined;
    const data = simulationSites({
      ...(options.dataDir ? { dataDir: resolve(options.dataDir) } : {}),
      layout: input === 'csv' ? 'csv' : 'folders',
      sites: options.sites,
      seed: options.seed,
      root: dataRoot,
    });
    const label =
      options.label ?? data.label ?? (mapping ? (await readMappingFile(mapping)).label.name : undefined);
    if (!label)
      throw new HeflError(
        'invalid_argument',
        '--label is required with --data (the label column of the CSVs)',
      );
    options.onProgress(`provisioning a federation of ${data.sites.length} sites in ${root}`);
    const fed = await provisionFederation(
      root,
      data.sites.map((s) => s.id),
    );

    const coordinator = new HeflProcess(
      'coordinator',
      ['coordinator', 'start', '--dir', fed.coordinatorDir, '--port', '0'],
      options.cliEntry,
    );
    processes.push(coordinator);
    const listening = await coordinator.waitFor(
      (l) => l.event === 'coordinator.listening',
      30_000,
      'listening',
    );
    const address = `127.0.0.1:${listening.port as number}`;
    const connected = new Set<string>();
    coordinator.onLine((l) => {
      if (l.event === 'site.connected') connected.add(l.site as string);
    });
    const siteProcesses = new Map<string, HeflProcess>();
    const startSiteProcess = (siteId: string) => {
      const site = data.sites.find((s) => s.id === siteId)!;
      const dir = fed.siteDirs.find((d) => d.id === site.id)!.dir;
      const p = new HeflProcess(
        site.id,
        [
          'site',
          'start',
          '--dir',
          dir,
          '--data',
          site.csv,
          '--coordinator',
          address,
          '--label',
          label,
          ...(input === 'csv' ? [] : ['--input', input, '--mapping', mapping!]),
        ],
        options.cliEntry,
        options.siteEnv?.(site.id),
      );
      processes.push(p);
      siteProcesses.set(site.id, p);
      return p;
    };
    for (const site of data.sites) startSiteProcess(site.id);
    const control: SiteProcesses = {
      processes: siteProcesses,
      async restart(siteId) {
        const p = startSiteProcess(siteId);
        await p.waitFor((l) => l.event === 'site.started', 60_000, 'start-up');
        return p;
      },
    };
    await Promise.all(
      [...siteProcesses.values()].map((p) =>
        p.waitFor((l) => l.event === 'site.started', 60_000, 'start-up'),
      ),
    );
    await coordinator
      .waitFor(() => connected.size >= data.sites.length, 30_000, 'all sites connected')
      .catch((e) => {
        if (connected.size < data.sites.length) throw e;
        return {};
      });
    options.onProgress(`coordinator on ${address}; ${connected.size} sites connected over mutual TLS`);

    const identity = await loadMemberIdentity(fed.researcherDir);
    researcher = new ResearcherClient(address, channelCredentials(identity.tls), {
      signingSecretKey: identity.signingKey.secretKey,
      sealingPublicKey: identity.sealingKey.publicKey,
      sealingSecretKey: identity.sealingKey.secretKey,
    });
    const siteKeys = identity.manifest.members
      .filter((m) => m.role === 'site')
      .map((m) => ({ id: m.id, key: fromHex(m.signingPublicKey) }));
    const siteIdOf = (pk: Uint8Array) => siteKeys.find((s) => bytesEqual(s.key, pk))?.id;
    const isSite = (pk: Uint8Array) => siteIdOf(pk) !== undefined;
    const profile = options.he ? 'bgv-n2048-q54-t38/v1' : 'plaintext-insecure/v1';
    const minSites = options.minSites ?? data.sites.length;
    const dp =
      options.dpEpsilon === undefined
        ? undefined
        : dpSettings(options.dpEpsilon, options.rounds, minSites, options.dpUnit ?? 'record');
    const job = parseJobSpec({
      name: 'simulation',
      model: options.model,
      rounds: options.rounds,
      strategy: {
        name: options.strategy,
        ...(options.serverLearningRate ? { serverLearningRate: options.serverLearningRate } : {}),
      },
      local: options.local,
      minSites,
      roundDeadlineSeconds: options.roundDeadlineSeconds,
      recruitSeconds: 30,
      he: { profile, clipRange: dp ? dp.clipRange : 1 },
      ...(dp ? { dp: { unit: dp.unit, epsilon: dp.epsilon, delta: dp.delta, clipNorm: dp.clipNorm } } : {}),
      data: {
        label,
        ...((options.categorical ?? data.categorical)
          ? { categorical: options.categorical ?? data.categorical }
          : {}),
      },
      seed: options.seed,
    });
    const { jobId, jobHash } = await researcher.submit(job);
    options.onProgress(
      `job ${jobId} submitted (hash ${jobHash.slice(0, 16)}…), ${options.rounds} rounds, ${options.strategy}, HE ${options.he ? profile : 'OFF (insecure comparison)'}`,
    );
    const status = await followJob(
      researcher,
      jobId,
      options,
      isSite,
      identity.sealingKey.secretKey,
      control,
    );
    const outcome = readJobOutcome(status, identity.sealingKey.secretKey, isSite);
    const modelDir =
      options.outDir && status.state === 'completed'
        ? await saveFinalModel(
            researcher,
            jobId,
            identity.sealingKey.secretKey,
            siteIdOf,
            join(root, 'model'),
            (reply) =>
              recordSeenHead(
                fed.researcherDir,
                jobId,
                reply.auditHeadJson,
                identity.coordinatorSigningPublicKey,
              ),
          )
        : null;
    if (modelDir)
      options.onProgress(`final model (sealed to the researcher by the sites) written to ${modelDir}`);
    return summarise(status, outcome, {
      modelDir,
      jobId,
      jobHash,
      profile,
      he: options.he,
      sites: data.sites.map((s) => s.id),
      outDir: options.outDir ? root : null,
      started,
      dp: dp
        ? await dpReport(
            fed.siteDirs.map((s) => s.dir),
            jobHash,
            dp,
          )
        : undefined,
    });
  } finally {
    researcher?.close();
    await Promise.all(processes.map((p) => p.stop()));
    if (!options.outDir) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * With --out: the final model as a researcher receives it (`hefl model fetch`), written
 * under the federation folder. The sites post their sealed releases just after the job
 * completes, so this waits (bounded) for the last ones.
 */
async function saveFinalModel(
  researcher: ResearcherClient,
  jobId: string,
  sealingSecret: Uint8Array,
  siteIdOf: (pk: Uint8Array) => string | undefined,
  out: string,
  keepHead: (reply: FetchModelReply) => void,
): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const reply = await researcher.fetchModel(jobId);
    if (reply.pending.length === 0 || Date.now() > until) {
      keepHead(reply);
      await writeReleasedModel(openModelRelease(reply, sealingSecret, siteIdOf), out);
      return out;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function followJob(
  researcher: ResearcherClient,
  jobId: string,
  options: SimulationOptions,
  isSite: (pk: Uint8Array) => boolean,
  sealingSecret: Uint8Array,
  sites: SiteProcesses,
): Promise<JobStatus> {
  const until = Date.now() + options.timeoutSeconds * 1000;
  const announced = new Set<number>();
  const opened = new Set<number>();
  for (;;) {
    const status = await researcher.status(jobId);
    const current = status.roundStatus.at(-1);
    if (current && !opened.has(current.round)) {
      opened.add(current.round);
      await options.onRoundOpen?.(current.round, sites);
    }
    for (const r of readJobOutcome(status, sealingSecret, isSite)) {
      if (r.metrics && !announced.has(r.round)) {
        announced.add(r.round);
        options.onProgress(describeRound(r, status.rounds));
      }
    }
    if (['completed', 'failed', 'cancelled'].includes(status.state)) return status;
    if (Date.now() > until)
      throw new HeflError(
        'deadline_exceeded',
        `job ${jobId} still ${status.state} after ${options.timeoutSeconds} s`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

function describeRound(r: RoundOutcome, total: number): string {
  const m = r.metrics!;
  const absent =
    r.absent.length > 0
      ? `; not counted: ${r.absent.map((a) => `${a.siteId} (${a.reason})`).join(', ')}`
      : '';
  return `round ${r.round}/${total}: ${r.participants.length} sites, accuracy ${m.meanSiteAccuracy.toFixed(3)} (mean of sites; pooled ${m.accuracy.toFixed(3)}), AUC ${m.auc.toFixed(3)}, loss ${m.loss.toFixed(3)}, ${(r.bytesUp / 1024).toFixed(0)} KiB up, ${r.seconds.toFixed(1)} s${absent}`;
}

function summarise(
  status: JobStatus,
  outcome: RoundOutcome[],
  ctx: {
    jobId: string;
    jobHash: string;
    profile: string;
    he: boolean;
    sites: string[];
    outDir: string | null;
    modelDir: string | null;
    started: number;
    dp: SimulationResult['dp'];
  },
): SimulationResult {
  const trainingRound = status.roundStatus.find((r) => r.round === 1);
  const update = trainingRound?.sections.find((s) => s.name === 'update');
  const pick = (m: AggregateMetrics | undefined): RoundMetrics | null =>
    m ? { accuracy: m.meanSiteAccuracy, pooledAccuracy: m.accuracy, auc: m.auc, loss: m.loss } : null;
  return {
    jobId: ctx.jobId,
    jobHash: ctx.jobHash,
    state: status.state,
    reason: status.reason,
    sites: ctx.sites,
    rounds: outcome.map((r) => ({
      round: r.round,
      participants: r.participants,
      absent: r.absent,
      metrics: pick(r.metrics),
      bytesUp: r.bytesUp,
      bytesDown: r.bytesDown,
      seconds: r.seconds,
    })),
    final: pick(outcome.at(-1)?.metrics),
    he: {
      profile: ctx.profile,
      insecure: !ctx.he,
      bytesPerParam: update ? update.byteLength / update.valueCount : null,
      parameters: update ? update.valueCount - 1 : null,
    },
    modelHash: outcome.at(-1)?.modelHash ?? null,
    ...(ctx.dp ? { dp: ctx.dp } : {}),
    outDir: ctx.outDir,
    modelDir: ctx.modelDir,
    seconds: (Date.now() - ctx.started) / 1000,
  };
}

/**
 * The DP settings `--dp-epsilon` gives a job: delta 1e-5, clip norm 1. Site-level: an HE
 * clip range wide enough for clipped update plus each site's noise share (6 standard
 * deviations), so the quantiser does not cut the noise off. Record-level: each site chooses
 * its own noise when it accepts (the DP-SGD noise is inside the trained weights, the update
 * stays in the default clip range); noiseMultiplier here is 0 until the sites report theirs.
 */
function dpSettings(epsilon: number, rounds: number, sites: number, unit: 'record' | 'site') {
  const delta = 1e-5;
  const clipNorm = 1;
  if (unit === 'record') return { unit, epsilon, delta, clipNorm, noiseMultiplier: 0, clipRange: 1 };
  const noiseMultiplier = noiseMultiplierFor({ epsilon, delta, steps: rounds });
  const siteStddev = (noiseMultiplier * clipNorm) / Math.sqrt(sites);
  return { unit, epsilon, delta, clipNorm, noiseMultiplier, clipRange: clipNorm + 6 * siteStddev };
}

/**
 * What the job cost each site: the epsilon in its budget ledger and its own accounting from
 * its signed audit log (`site.accepted` details.privacy).
 */
async function dpReport(
  siteDirs: readonly string[],
  jobHash: string,
  dp: ReturnType<typeof dpSettings>,
): Promise<NonNullable<SimulationResult['dp']>> {
  const spentBySite: Record<string, number> = {};
  const sites: Record<string, SiteDpAccount> = {};
  for (const dir of siteDirs) {
    const ledger = await readBudgetFile(join(dir, BudgetStore.FILE));
    const site = basename(dir);
    spentBySite[site] = ledger.spent.filter((s) => s.jobHash === jobHash).reduce((a, s) => a + s.epsilon, 0);
    const account = await acceptedPrivacy(join(dir, 'audit.jsonl'), jobHash);
    if (account) sites[site] = account;
  }
  const sigmas = Object.values(sites).map((s) => s.noiseMultiplier);
  return {
    unit: dp.unit,
    epsilonSpent: Math.max(0, ...Object.values(spentBySite)),
    delta: dp.delta,
    noiseMultiplier: dp.unit === 'record' ? Math.max(0, ...sigmas) : dp.noiseMultiplier,
    spentBySite,
    sites,
  };
}

/** The privacy a site recorded when it accepted the job (its latest acceptance), if any. */
async function acceptedPrivacy(auditPath: string, jobHash: string): Promise<SiteDpAccount | undefined> {
  let text: string;
  try {
    text = await readFile(auditPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let found: SiteDpAccount | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as {
      action?: string;
      details?: { jobHash?: string; privacy?: SiteDpAccount };
    };
    if (entry.action === 'site.accepted' && entry.details?.jobHash === jobHash && entry.details.privacy) {
      const { epsilon, epsilonAccounted, noiseMultiplier, samplingRate, steps } = entry.details.privacy;
      found = {
        epsilon,
        noiseMultiplier,
        ...(epsilonAccounted !== undefined ? { epsilonAccounted } : {}),
        ...(samplingRate !== undefined ? { samplingRate } : {}),
        ...(steps !== undefined ? { steps } : {}),
      };
    }
  }
  return found;
}

async function readBudgetFile(path: string): Promise<{ spent: { jobHash: string; epsilon: number }[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { spent: [] }; // the site spent nothing
    throw error;
  }
  return JSON.parse(text) as { spent: { jobHash: string; epsilon: number }[] };
}
