import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bytesEqual, fromHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { channelCredentials, loadMemberIdentity } from '../../common/identity/index.js';
import { readJobOutcome } from '../researcher/job-outcome.js';
import { recordSeenHead } from '../researcher/record-seen-head.js';
import { ResearcherClient } from '../researcher/researcher-client.js';
import { followSimulatedJob } from './follow-simulated-job.js';
import { provisionFederation } from './provision-federation.js';
import { saveFinalModel } from './save-final-model.js';
import { simulationAnalysis } from './simulation-analysis.js';
import { simulationDpReport } from './simulation-dp-report.js';
import { simulationInput } from './simulation-input.js';
import { simulationJobSpec } from './simulation-job-spec.js';
import {
  defaultStartupTimeoutSeconds,
  type SimulationOptions,
  type SimulationResult,
} from './simulation-options.js';
import { startInProcessSites } from './start-in-process-sites.js';
import { startSimulationProcesses } from './start-simulation-processes.js';
import { summariseSimulation } from './summarise-simulation.js';

export type {
  RoundMetrics,
  SimulationOptions,
  SimulationResult,
  SiteDpAccount,
  SiteProcesses,
} from './simulation-options.js';

/**
 * `hefl simulate`: a whole federation on this machine — a coordinator process and the site
 * nodes (one process per site, or all in this process: `options.isolation`) on 127.0.0.1
 * with real gRPC, mutual TLS and node-seal — provisioned through the
 * real enrolment steps, running one job submitted by a researcher identity. Each step is
 * its own file: input and data layout, provisioning, the daemons, the job spec, following
 * the job, saving the released model, the privacy report and the summary.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const started = Date.now();
  const root = simulationRoot(options.outDir);
  const processes: { stop(): Promise<void> }[] = [];
  const isolation = options.isolation ?? 'process';
  if (isolation === 'in-process' && (options.onRoundOpen || options.siteEntry))
    throw new HeflError(
      'invalid_argument',
      'site fault injection needs isolation process (one process per site)',
    );
  let researcher: ResearcherClient | undefined;
  try {
    const data = await simulationInput(options, root);
    options.onProgress(`provisioning a federation of ${data.sites.length} sites in ${root}`);
    const fed = await provisionFederation(
      root,
      data.sites.map((s) => s.id),
    );
    const startupTimeoutMs =
      (options.startupTimeoutSeconds ?? defaultStartupTimeoutSeconds(data.sites.length)) * 1000;
    const start = isolation === 'in-process' ? startInProcessSites : startSimulationProcesses;
    const running = await start(options, fed, data, processes, startupTimeoutMs);
    options.onProgress(
      `coordinator on ${running.address}; ${running.connected} sites connected over mutual TLS`,
    );

    const identity = await loadMemberIdentity(fed.researcherDir);
    researcher = new ResearcherClient(running.address, channelCredentials(identity.tls), {
      signingSecretKey: identity.signingKey.secretKey,
      sealingPublicKey: identity.sealingKey.publicKey,
      sealingSecretKey: identity.sealingKey.secretKey,
    });
    const siteKeys = identity.manifest.members
      .filter((m) => m.role === 'site')
      .map((m) => ({ id: m.id, key: fromHex(m.signingPublicKey) }));
    const siteIdOf = (pk: Uint8Array) => siteKeys.find((s) => bytesEqual(s.key, pk))?.id;
    const isSite = (pk: Uint8Array) => siteIdOf(pk) !== undefined;
    const { job, profile, dp } = simulationJobSpec(options, {
      label: data.label,
      categorical: data.categorical,
      sites: data.sites.length,
    });
    const { jobId, jobHash } = await researcher.submit(job);
    options.onProgress(
      `job ${jobId} submitted (hash ${jobHash.slice(0, 16)}…), ${job.spec.model.kind}, ${job.spec.rounds} rounds, ${job.spec.strategy.name}, HE ${options.he ? profile : 'OFF (insecure comparison)'}`,
    );
    const status = await followSimulatedJob(
      researcher,
      jobId,
      options,
      isSite,
      identity.sealingKey.secretKey,
      running.sites,
    );
    // Read before anything is stopped: the kernel's high-water marks of the live processes.
    const memory = {
      coordinatorPeakMiB: mib(running.coordinator.process.peakRss()),
      sitesPeakMiB: mib(running.sitesPeakRss()),
    };
    const outcome = readJobOutcome(status, identity.sealingKey.secretKey, isSite);
    // A stats job releases no model (its tables are sealed with the round reports).
    const trained = job.spec.model.kind !== 'stats';
    const modelDir =
      options.outDir && status.state === 'completed' && trained
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
    const analysis = simulationAnalysis(status, identity.sealingKey.secretKey, isSite);
    const summary = summariseSimulation(status, outcome, {
      modelDir,
      jobId,
      jobHash,
      profile,
      he: options.he,
      sites: data.sites.map((s) => s.id),
      isolation,
      memory,
      outDir: options.outDir ? root : null,
      started,
      dp: dp
        ? await simulationDpReport(
            fed.siteDirs.map((s) => s.dir),
            jobHash,
            dp,
          )
        : undefined,
    });
    return { ...summary, ...analysis };
  } finally {
    researcher?.close();
    await Promise.all(processes.map((p) => p.stop()));
    if (!options.outDir) rmSync(root, { recursive: true, force: true });
  }
}

function mib(bytes: number | null): number | null {
  return bytes === null ? null : Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** The federation folder: `--out` (created, must be empty) or a fresh temporary folder. */
function simulationRoot(outDir: string | undefined): string {
  const root = outDir ? resolve(outDir) : mkdtempSync(join(tmpdir(), 'hefl-simulate-'));
  if (outDir) {
    mkdirSync(root, { recursive: true });
    if (readdirSync(root).length > 0)
      throw new HeflError('invalid_argument', `--out ${root} is not empty; choose a new folder`);
  }
  return root;
}
