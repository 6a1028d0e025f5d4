import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATES } from '../job/job-state.js';
import type { CoordinatorObserver } from './coordinator-observer.js';

/** What the metrics read at each scrape: the live jobs, the open task streams, the admitted sites. */
export interface MetricsSource {
  jobs(): readonly {
    readonly state: string;
    readonly rounds: readonly {
      readonly state: string;
      readonly bytesUp: number;
      readonly aggregateBytes: number;
      readonly downloads: number;
    }[];
  }[];
  connected(): readonly string[];
  /** Ids of the admitted, unrevoked sites. */
  sites(): readonly string[];
}

/**
 * The coordinator's Prometheus metrics (prom-client, its own registry, no process-wide
 * default). Counts are of this process's life: they restart from what the restored jobs
 * hold after a restart (Prometheus treats a drop as a counter reset). Labels are site ids,
 * job states and refusal codes only: bounded sets, and no job content.
 */
export function coordinatorMetrics(source: MetricsSource, observer: CoordinatorObserver): Registry {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'hefl_connected_sites',
    help: 'Sites with an open task stream now',
    registers,
    collect() {
      this.set(source.connected().length);
    },
  });
  new Gauge({
    name: 'hefl_site_connected',
    help: 'Whether the admitted site has an open task stream now (1) or not (0)',
    labelNames: ['site'],
    registers,
    collect() {
      this.reset();
      const connected = new Set(source.connected());
      for (const site of source.sites()) this.set({ site }, connected.has(site) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hefl_site_last_contact_timestamp_seconds',
    help: 'When the site was last heard from (Unix seconds); absent until first contact since start',
    labelNames: ['site'],
    registers,
    collect() {
      this.reset();
      const seen = observer.lastSeen();
      for (const site of source.sites()) {
        const ms = seen.get(site);
        if (ms !== undefined) this.set({ site }, ms / 1000);
      }
    },
  });
  new Gauge({
    name: 'hefl_jobs',
    help: 'Jobs known to this coordinator, by state',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = new Map<string, number>(JOB_STATES.map((s) => [s, 0]));
      for (const job of source.jobs()) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  const fromJobs = (name: string, help: string, count: (rounds: MetricsRounds) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(source.jobs().reduce((sum, job) => sum + count(job.rounds), 0));
      },
    });
  fromJobs('hefl_rounds_closed_total', 'Rounds closed (every job, every attempt)', (rounds) =>
    rounds.reduce((n, r) => n + (r.state === 'closed' ? 1 : 0), 0),
  );
  fromJobs('hefl_bytes_up_total', 'Bytes of encrypted updates received from sites', (rounds) =>
    rounds.reduce((n, r) => n + r.bytesUp, 0),
  );
  fromJobs('hefl_bytes_down_total', 'Bytes of encrypted aggregates sent to sites', (rounds) =>
    rounds.reduce((n, r) => n + r.aggregateBytes * r.downloads, 0),
  );
  new Counter({
    name: 'hefl_refusals_total',
    help: 'Requests refused by the coordinator, by reason (error code)',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of observer.refusals()) this.inc({ reason }, count);
    },
  });
  const durations = new Histogram({
    name: 'hefl_round_duration_seconds',
    help: 'Time from a round opening to its close',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers,
  });
  observer.onRoundClosed((seconds) => durations.observe(seconds));
  return registry;
}

type MetricsRounds = ReturnType<MetricsSource['jobs']>[number]['rounds'];
