import type { BackendPreference, DataInput } from '../../client-node/index.js';
import type { ParsedJob } from '../../common/job/job-spec.js';
import type { HeflProcess } from './hefl-process.js';
import type { SimulationAnalysis } from './simulation-analysis.js';

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
  /** Every site's `--split-column` (a fixed train/test split in its data). */
  readonly splitColumn?: string;
  /** A model spec (validated with the job). */
  readonly model: unknown;
  /**
   * `--job FILE`: this job runs instead of the one the flags describe (its model, rounds,
   * data section, ...); only the HE profile follows `--he`.
   */
  readonly job?: ParsedJob;
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
  /** Seconds a round waits for updates (default: `defaultRoundDeadlineSeconds` of the site count). */
  readonly roundDeadlineSeconds?: number;
  readonly local: { epochs: number; learningRate: number; batchSize: number };
  readonly timeoutSeconds: number;
  /**
   * Where the site nodes run: 'process' (default here; one `hefl site start` process per
   * site) or 'in-process' (all in this process, sharing node-seal and TensorFlow.js; see
   * start-in-process-sites.ts). The coordinator is a child process in both.
   */
  readonly isolation?: SimulationIsolation;
  /** How long the coordinator, the sites and their connections may take to come up (default: grows with the sites). */
  readonly startupTimeoutSeconds?: number;
  /** In-process: training worker threads the sites share (default 1). */
  readonly trainingWorkers?: number;
  /** Every site's TensorFlow.js backend (`--backend`; default auto). */
  readonly backend?: BackendPreference;
  readonly onProgress: (line: string) => void;
  /** CLI script for the child processes (default: the running one). */
  readonly cliEntry?: string;
  /**
   * Fault injection for tests: called once each round is open, with the site processes
   * (kill one) and a way to start a site's process again on the same folder.
   */
  readonly onRoundOpen?: (round: number, sites: SiteProcesses) => void | Promise<void>;
  /**
   * Fault injection for tests: Node arguments that start one site's process through a
   * test-only entry script instead of `cliEntry` (test/support/faulty-site.mjs).
   */
  readonly siteEntry?: (siteId: string) => readonly string[] | undefined;
}

export const SIMULATION_ISOLATIONS = ['in-process', 'process'] as const;
export type SimulationIsolation = (typeof SIMULATION_ISOLATIONS)[number];

/**
 * Default start-up allowance: 60 s plus 3 s per site. A site process loads TensorFlow.js
 * twice (the process and its training worker) and node-seal once, about 3 s of CPU each on
 * a loaded 2-core machine; in-process sites need far less, and this is only a ceiling.
 */
export function defaultStartupTimeoutSeconds(sites: number): number {
  return 60 + 3 * sites;
}

/**
 * Default round deadline: 60 s plus 1 s per site. All simulated sites share this machine's
 * cores, so a round's work grows with their number: round 0 (encrypted feature statistics)
 * of 100 sites took 56 s on a loaded 2-core machine, too close to a fixed 60 s.
 */
export function defaultRoundDeadlineSeconds(sites: number): number {
  return 60 + sites;
}

/** Default recruiting window: 30 s, or 0.6 s per site when that is longer (100 sites answered in 6 s). */
export function defaultRecruitSeconds(sites: number): number {
  return Math.max(30, Math.ceil(0.6 * sites));
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

export interface SimulationResult extends SimulationAnalysis {
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
  readonly isolation: SimulationIsolation;
  /**
   * Peak resident memory in MiB (the kernel's high-water mark, Linux; null elsewhere): the
   * coordinator process, and the sites (the sum over site processes, or with in-process
   * isolation this whole process: all sites, their training workers and the simulation's
   * own researcher client).
   */
  readonly memory: { coordinatorPeakMiB: number | null; sitesPeakMiB: number | null };
  readonly outDir: string | null;
  /** With --out: where the released final model was written (TensorFlow.js layers + model card). */
  readonly modelDir: string | null;
  readonly seconds: number;
}
