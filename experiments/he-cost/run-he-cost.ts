import { parseArgs } from 'node:util';
import { DEFAULT_PROFILE_ID, getProfile, listProfiles } from '../../common/he/he-profile.js';
import { machineInfo, provenanceMarkdown } from '../plot/machine-info.js';
import { markdownTable } from '../plot/markdown-table.js';
import { writeResults } from '../plot/write-results.js';
import { type CipherCost, measureCipherCost } from './measure-cipher-cost.js';
import { measureTrainingTime } from './measure-training-time.js';

const NVFLARE = 'ckks-n8192-nvflare/v1';
const PLAIN = 'plaintext-float32';
const SITES_SWEEP = [2, 5, 10, 20, 50, 100];
const SITES_SWEEP_PARAMS = 100_000;
const BREAKDOWN_PARAMS = 1_000_000;
const BREAKDOWN_SITES = 4;
/** Link speed used to turn bytes into transfer time (modelled, not measured). */
const LINK_MBIT = 100;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'experiments/results' },
      'max-params': { type: 'string', default: '10000000' },
    },
  });
  const maxParams = Number(values['max-params']);
  const command = `npm run exp:he-cost -- ${process.argv.slice(2).join(' ')}`.trim();
  const profileIds = [PLAIN, ...listProfiles().map((p) => p.id)];
  const sizes = [1e3, 1e4, 1e5, 1e6, 1e7].filter((n) => n <= maxParams);
  const bySize: CipherCost[] = [];
  const skipped: string[] = [];
  for (const params of sizes) {
    for (const id of profileIds) {
      // CKKS at 10^7 would need ~0.5 GB per ciphertext batch and ~20 s per encryption.
      if (id === NVFLARE && params > 1e6) {
        skipped.push(`${id} at ${params} parameters (memory/time cap; scales linearly from 10^6)`);
        continue;
      }
      log(`size ${params} ${id}`);
      bySize.push(await measure(id, params, [BREAKDOWN_SITES], params >= 1e7 ? 1 : 2));
    }
  }
  const bySites: CipherCost[] = [];
  for (const id of profileIds) {
    log(`sites sweep ${id}`);
    bySites.push(await measure(id, SITES_SWEEP_PARAMS, SITES_SWEEP, 2));
  }
  log('training time of a 1M-parameter MLP');
  const training = await measureTrainingTime(256);
  const transferMs = (bytes: number) => ((bytes * 8) / (LINK_MBIT * 1e6)) * 1000;
  const breakdown = profileIds.flatMap((id) => {
    const c = bySize.find((x) => x.profile === id && x.params === BREAKDOWN_PARAMS);
    if (!c) return [];
    const parts = {
      train: training.ms,
      encrypt: c.encryptMs,
      upload: transferMs(c.uploadBytes),
      aggregate: c.aggregateMsBySites[BREAKDOWN_SITES]!,
      download: transferMs(c.downloadBytes),
      decrypt: c.decryptMs,
    };
    const total = Object.values(parts).reduce((a, b) => a + b, 0);
    const heMs = id === PLAIN ? 0 : parts.encrypt + parts.aggregate + parts.decrypt;
    return [{ profile: id, ...parts, total, heShare: heMs / total }];
  });
  const ratioRows = bySize
    .filter((c) => c.profile !== PLAIN)
    .map((c) => {
      const plain = bySize.find((x) => x.profile === PLAIN && x.params === c.params)!;
      const nv = bySize.find((x) => x.profile === NVFLARE && x.params === c.params);
      return {
        profile: c.profile,
        params: c.params,
        bytesVsPlaintext: c.uploadBytes / plain.uploadBytes,
        downloadBytesVsPlaintext: c.downloadBytes / plain.downloadBytes,
        nvflareBytesOverThis: nv ? nv.uploadBytes / c.uploadBytes : null,
      };
    });
  const machine = machineInfo();
  const json = {
    experiment: 'he-cost',
    command,
    machine,
    defaultProfile: DEFAULT_PROFILE_ID,
    notes: [
      `Values are uniform-ish in [-1, 1] (a sine), quantizer sized for clipRange 1 and maxSites 100.`,
      `Aggregation per size is for ${BREAKDOWN_SITES} sites; the sites sweep is at ${SITES_SWEEP_PARAMS} parameters with 2 distinct ciphertexts added round-robin (adding a repeated ciphertext costs the same as a new one).`,
      `Upload/download times are MODELLED from measured bytes at ${LINK_MBIT} Mbit/s, not measured; encrypt/aggregate/decrypt/train are measured wall times on this machine, single run each (no repetitions) except encryption (mean of the distinct vectors).`,
      `Training: one epoch of 256 synthetic rows, batch 32, SGD, of a ${training.params}-parameter MLP on the tfjs ${training.backend} backend.`,
      ...skipped.map((s) => `Skipped: ${s}.`),
    ],
    bySize,
    bySites,
    ratios: ratioRows,
    breakdown1M: {
      params: BREAKDOWN_PARAMS,
      sites: BREAKDOWN_SITES,
      linkMbit: LINK_MBIT,
      training,
      rows: breakdown,
    },
  };
  const md = report(json, bySize, bySites, breakdown, ratioRows, command, machine);
  const paths = await writeResults(values.out, 'he-cost', {
    json,
    markdown: md,
    plot: plot(bySize, bySites, breakdown),
  });
  log(`wrote ${paths.join(', ')}`);
}

async function measure(id: string, params: number, sites: number[], distinct: number): Promise<CipherCost> {
  return measureCipherCost(id === PLAIN ? undefined : getProfile(id), params, sites, distinct);
}

type Breakdown = {
  profile: string;
  train: number;
  encrypt: number;
  upload: number;
  aggregate: number;
  download: number;
  decrypt: number;
  total: number;
  heShare: number;
};
type Ratio = {
  profile: string;
  params: number;
  bytesVsPlaintext: number;
  downloadBytesVsPlaintext: number;
  nvflareBytesOverThis: number | null;
};

function report(
  json: { notes: string[] },
  bySize: CipherCost[],
  bySites: CipherCost[],
  breakdown: Breakdown[],
  ratios: Ratio[],
  command: string,
  machine: ReturnType<typeof machineInfo>,
): string {
  const mb = (b: number) => (b / 1e6).toFixed(3);
  const ms = (x: number) => x.toFixed(1);
  return [
    '# HE cost: bytes and time per round',
    '',
    provenanceMarkdown(command, machine),
    '',
    "## Against model size (one site's update; aggregation of 4 sites)",
    '',
    markdownTable(
      ['profile', 'parameters', 'upload MB', 'download MB', 'encrypt ms', 'aggregate 4 ms', 'decrypt ms'],
      bySize.map((c) => [
        c.profile,
        c.params,
        mb(c.uploadBytes),
        mb(c.downloadBytes),
        ms(c.encryptMs),
        ms(c.aggregateMsBySites[4] ?? Number.NaN),
        ms(c.decryptMs),
      ]),
    ),
    '',
    '## Bytes ratios',
    '',
    markdownTable(
      [
        'profile',
        'parameters',
        'upload bytes / plaintext float32',
        'download bytes / plaintext',
        'NVFlare-style bytes / this',
      ],
      ratios.map((r) => [
        r.profile,
        r.params,
        r.bytesVsPlaintext.toFixed(3),
        r.downloadBytesVsPlaintext.toFixed(3),
        r.nvflareBytesOverThis?.toFixed(2) ?? 'n/a',
      ]),
    ),
    '',
    `## Against number of sites (${SITES_SWEEP_PARAMS} parameters): coordinator aggregation time per round, and bytes through the coordinator`,
    '',
    markdownTable(
      ['profile', ...SITES_SWEEP.map((k) => `${k} sites: ms / MB in+out`)],
      bySites.map((c) => [
        c.profile,
        ...SITES_SWEEP.map(
          (k) => `${ms(c.aggregateMsBySites[k]!)} / ${mb(k * (c.uploadBytes + c.downloadBytes))}`,
        ),
      ]),
    ),
    '',
    `## Where a round's time goes (1M-parameter MLP, ${BREAKDOWN_SITES} sites, ms)`,
    '',
    markdownTable(
      [
        'profile',
        'train',
        'encrypt',
        `upload (modelled, ${LINK_MBIT} Mbit/s)`,
        'aggregate',
        'download (modelled)',
        'decrypt',
        'total',
        'HE share (encrypt+aggregate+decrypt)',
      ],
      breakdown.map((b) => [
        b.profile,
        ms(b.train),
        ms(b.encrypt),
        ms(b.upload),
        ms(b.aggregate),
        ms(b.download),
        ms(b.decrypt),
        ms(b.total),
        `${(b.heShare * 100).toFixed(1)}%`,
      ]),
    ),
    '',
    '## Notes',
    '',
    ...json.notes.map((n) => `- ${n}`),
  ].join('\n');
}

function plot(bySize: CipherCost[], bySites: CipherCost[], breakdown: Breakdown[]) {
  const sizeData = bySize.map((c) => ({
    profile: c.profile,
    params: c.params,
    uploadMB: c.uploadBytes / 1e6,
  }));
  const sitesData = bySites.flatMap((c) =>
    SITES_SWEEP.map((k) => ({ profile: c.profile, sites: k, ms: c.aggregateMsBySites[k]! })),
  );
  const parts = ['train', 'encrypt', 'upload', 'aggregate', 'download', 'decrypt'] as const;
  const breakdownData = breakdown.flatMap((b) =>
    parts.map((p) => ({ profile: b.profile, part: p, ms: b[p] })),
  );
  const log = { type: 'log' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'hefl HE cost per round',
    vconcat: [
      {
        title: 'Upload bytes per site vs model size',
        width: 420,
        data: { values: sizeData },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'params', type: 'quantitative', scale: log, title: 'parameters' },
          y: { field: 'uploadMB', type: 'quantitative', scale: log, title: 'MB per site' },
          color: { field: 'profile', type: 'nominal' },
        },
      },
      {
        title: `Coordinator aggregation time vs sites (${SITES_SWEEP_PARAMS} parameters)`,
        width: 420,
        data: { values: sitesData },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sites', type: 'quantitative', scale: log },
          y: { field: 'ms', type: 'quantitative', scale: log, title: 'ms per round' },
          color: { field: 'profile', type: 'nominal' },
        },
      },
      {
        title: 'Where a round goes, 1M parameters, 4 sites (transfer modelled at 100 Mbit/s)',
        width: 420,
        data: { values: breakdownData },
        mark: 'bar',
        encoding: {
          y: { field: 'profile', type: 'nominal', title: null },
          x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'ms' },
          color: { field: 'part', type: 'nominal', sort: [...parts] },
        },
      },
    ],
  };
}

function log(line: string): void {
  console.error(`[he-cost] ${line}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
