import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HeflError } from '../../common/errors/index.js';
import { DEFAULT_PROFILE_ID, getProfile } from '../../common/he/he-profile.js';
import { SiteCipher } from '../../common/he/site-cipher.js';
import { machineInfo, provenanceMarkdown } from '../plot/machine-info.js';
import { markdownTable } from '../plot/markdown-table.js';
import { writeResults } from '../plot/write-results.js';
import { writeBatchFile } from './batch-file.js';
import { measureSimulation, type SimulationScaleRow } from './measure-simulation.js';

const PARAMS = 1_000_000;
const STREAMING_SITES = [2, 5, 10, 25, 50, 100];
/** Holding every update costs ~7.6 MB per site: capped to keep the machine usable. */
const BUFFER_ALL_SITES = [2, 5, 10, 20];
/** Whole `hefl simulate` runs (logreg, in-process sites): sites and training rounds. */
const SIMULATED_SITES = [10, 50, 100];
const SIMULATED_ROUNDS = 3;

interface ChildResult {
  seconds: number;
  peakRss: number;
  peakHeapExternal: number;
  baselineRss: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'experiments/results' },
      // e.g. --simulate 10,50 for a shorter run; 0 skips the whole-federation part
      simulate: { type: 'string', default: SIMULATED_SITES.join(',') },
    },
  });
  const simulated = values.simulate
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  if (simulated.some((n) => !Number.isInteger(n)))
    throw new HeflError(
      'invalid_argument',
      `--simulate takes site counts like 10,50,100, not ${values.simulate}`,
    );
  const command = `npm run exp:scale -- ${process.argv.slice(2).join(' ')}`.trim();
  const dir = await mkdtemp(join(tmpdir(), 'hefl-scale-'));
  const rows: {
    mode: string;
    sites: number;
    seconds: number;
    peakRssMB: number;
    peakHeapExternalMB: number;
    baselineRssMB: number;
  }[] = [];
  try {
    const cipher = await SiteCipher.generate(getProfile(DEFAULT_PROFILE_ID), { clipRange: 1, maxSites: 100 });
    const files: string[] = [];
    try {
      for (let v = 0; v < 2; v++) {
        const update = Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(i * 0.7 + v));
        const file = join(dir, `update-${v}.bin`);
        await writeBatchFile(file, cipher.encrypt(update).batch);
        files.push(file);
      }
    } finally {
      cipher.delete();
    }
    const plan = [
      ...STREAMING_SITES.map((sites) => ({ mode: 'streaming', sites })),
      ...BUFFER_ALL_SITES.map((sites) => ({ mode: 'buffer-all', sites })),
    ];
    for (const { mode, sites } of plan) {
      const r = await runChild([DEFAULT_PROFILE_ID, String(sites), mode, ...files]);
      const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
      rows.push({
        mode,
        sites,
        seconds: r.seconds,
        peakRssMB: mb(r.peakRss),
        peakHeapExternalMB: mb(r.peakHeapExternal),
        baselineRssMB: mb(r.baselineRss),
      });
      console.error(
        `[scale] ${mode} ${sites} sites: ${r.seconds.toFixed(2)} s, peak RSS ${mb(r.peakRss)} MiB`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const simulations: SimulationScaleRow[] = [];
  for (const sites of simulated) {
    console.error(`[scale] hefl simulate --sites ${sites} --rounds ${SIMULATED_ROUNDS} (in-process sites)`);
    const row = await measureSimulation(sites, SIMULATED_ROUNDS, (line) =>
      console.error(`[scale]   ${line}`),
    );
    simulations.push(row);
    console.error(
      `[scale] ${sites} sites: ${row.state}, mean round ${row.meanRoundSeconds} s, coordinator peak ${row.coordinatorPeakMiB} MiB, sites' process peak ${row.sitesPeakMiB} MiB, wall ${row.wallSeconds} s`,
    );
  }
  const machine = machineInfo();
  const notes = [
    "Measured in a child process (node:child_process fork) that does only the coordinator's adding with the real CiphertextAdder for one round: not the full coordinator server (no gRPC, signatures, durable blob store or audit log). Updates arrive by reading a file into a fresh buffer, standing in for a finished upload.",
    `Model: ${PARAMS} parameters, profile ${DEFAULT_PROFILE_ID}; 2 distinct encrypted updates cycled over the sites (adding a repeated ciphertext costs the same as a new one).`,
    '"streaming": each update is added as it arrives and then dropped, which is how the coordinator aggregates. "buffer-all": every update is held until all arrived, then summed; shown for contrast only (capped at 20 sites).',
    "Peak RSS and peak heapUsed+external are sampled after every arrival and every addition (process.memoryUsage); RSS includes the Node and SEAL WebAssembly baseline. Round time is the adding only (each site's training/encryption happens in parallel at the sites).",
    `Whole federation: the built \`hefl simulate --isolation in-process --sites N --rounds ${SIMULATED_ROUNDS}\` (logreg on the built-in synthetic hospitals, HE on, fedavg): a coordinator process and N site nodes in one process (one shared training worker thread) over mutual TLS on 127.0.0.1. Round time: mean and largest of the training rounds as the coordinator records them (open to close: every site trains, encrypts, uploads; the coordinator verifies, stores and adds). Peak memory: the kernel's high-water mark (VmHWM) of the coordinator process, and of the one process holding all N sites. Wall time includes provisioning N members, start-up and shutdown. The machine was shared with other work while this ran, so times are upper bounds.`,
  ];
  const json = {
    experiment: 'scale',
    command,
    machine,
    params: PARAMS,
    profile: DEFAULT_PROFILE_ID,
    rows,
    simulations,
    notes,
  };
  const markdown = [
    '# Scale: coordinator memory and round time against number of sites',
    '',
    provenanceMarkdown(command, machine),
    '',
    markdownTable(
      ['mode', 'sites', 'adding time (s)', 'peak RSS (MiB)', 'peak heap+external (MiB)', 'RSS before (MiB)'],
      rows.map((r) => [
        r.mode,
        r.sites,
        r.seconds.toFixed(2),
        r.peakRssMB,
        r.peakHeapExternalMB,
        r.baselineRssMB,
      ]),
    ),
    '',
    `## Whole federation (\`hefl simulate\`, ${SIMULATED_ROUNDS} rounds, logreg, in-process sites)`,
    '',
    markdownTable(
      [
        'sites',
        'state',
        'mean round (s)',
        'max round (s)',
        'coordinator peak RSS (MiB)',
        'sites process peak RSS (MiB)',
        'wall (s)',
      ],
      simulations.map((r) => [
        r.sites,
        r.state,
        r.meanRoundSeconds.toFixed(2),
        r.maxRoundSeconds.toFixed(2),
        r.coordinatorPeakMiB ?? 'n/a',
        r.sitesPeakMiB ?? 'n/a',
        r.wallSeconds.toFixed(1),
      ]),
    ),
    '',
    '## Notes',
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
  const plot = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Whole simulated federations, and the coordinator adding a ${PARAMS}-parameter model (${DEFAULT_PROFILE_ID})`,
    data: { values: rows },
    hconcat: [
      {
        width: 300,
        title: 'whole federation: coordinator peak RSS',
        data: { values: simulations },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sites', type: 'quantitative' },
          y: { field: 'coordinatorPeakMiB', type: 'quantitative', title: 'coordinator peak RSS (MiB)' },
        },
      },
      {
        width: 300,
        title: 'whole federation: mean round time',
        data: { values: simulations },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sites', type: 'quantitative' },
          y: { field: 'meanRoundSeconds', type: 'quantitative', title: 'mean round time (s)' },
        },
      },
      {
        width: 300,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sites', type: 'quantitative' },
          y: { field: 'peakRssMB', type: 'quantitative', title: 'peak RSS (MiB)' },
          color: { field: 'mode', type: 'nominal' },
        },
      },
      {
        width: 300,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sites', type: 'quantitative' },
          y: { field: 'seconds', type: 'quantitative', title: 'adding time per round (s)' },
          color: { field: 'mode', type: 'nominal' },
        },
      },
    ],
  };
  const paths = await writeResults(values.out, 'scale', { json, markdown, plot });
  console.error(`[scale] wrote ${paths.join(', ')}`);
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./adder-child.ts', import.meta.url), args, { execArgv: ['--import', 'tsx'] });
    let result: ChildResult | undefined;
    child.on('message', (m) => {
      result = m as ChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new HeflError('internal', `adder child exited with code ${code}`));
    });
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
