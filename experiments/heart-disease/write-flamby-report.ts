import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, provenanceMarkdown } from '../plot/machine-info.js';
import { meanAndStd } from '../plot/mean-and-std.js';
import { writeResults } from '../plot/write-results.js';
import { FLAMBY_PUBLISHED } from './flamby-published.js';
import { describeSetup, FED_METHODS, HEART_SETUPS } from './flamby-setups.js';
import type { SeedRun, SetupRun } from './run-flamby-benchmark.js';

const CENTERS = ['cleveland', 'hungary', 'switzerland', 'va'];

/** One results row: a method of a setup, its per-seed accuracies and settings. */
interface Row {
  readonly setup: string;
  readonly key: string;
  readonly name: string;
  readonly he: boolean;
  readonly mean: number;
  readonly std: number;
  readonly perSeed: number[];
  readonly perCenter: number[];
  readonly flamby?: { mean: number; std: number; perCenter: readonly number[] };
  readonly settings: Record<string, string>;
}

const avg = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const f3 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

function rowsOf(run: SetupRun): Row[] {
  const { setup, seeds } = run;
  const rows: Row[] = [];
  const make = (key: string, name: string, he: boolean, per: (s: SeedRun) => number[] | undefined) => {
    const perSeedCenters = seeds.map(per).filter((v): v is number[] => v !== undefined);
    if (perSeedCenters.length === 0) return;
    const perSeed = perSeedCenters.map(avg);
    const { mean, std } = meanAndStd(perSeed);
    const method = FED_METHODS.find((m) => m.id === key);
    rows.push({
      setup: setup.id,
      key,
      name,
      he,
      mean,
      std,
      perSeed,
      perCenter: CENTERS.map((_, j) => avg(perSeedCenters.map((c) => c[j]!))),
      ...(FLAMBY_PUBLISHED[key] ? { flamby: FLAMBY_PUBLISHED[key] } : {}),
      settings: describeSetup(setup, method),
    });
  };
  make('pooled', 'Pooled (centralised)', false, (s) => s.pooled);
  CENTERS.forEach((c, i) => {
    make(`local-${i}`, `Local ${i} (${c}), tested on all 4 centers`, false, (s) => s.local?.[i]);
  });
  for (const method of FED_METHODS) {
    if (!setup.methods.includes(method.id)) continue;
    make(method.id, `${method.name}, plaintext`, false, (s) => s.fed[method.id]?.plain?.perCenter);
    if (setup.he) make(method.id, `${method.name}, HE`, true, (s) => s.fed[method.id]?.he?.perCenter);
  }
  return rows;
}

/** HE minus plaintext, seed by seed, for every federated method a setup ran under both. */
function heVsPlain(run: SetupRun) {
  return run.setup.methods.flatMap((id) => {
    const pairs = run.seeds
      .map((s) => s.fed[id])
      .filter((p): p is NonNullable<typeof p> => p?.he !== undefined && p.plain !== undefined);
    if (pairs.length === 0) return [];
    const diffs = pairs.map((p) => avg(p.he!.perCenter) - avg(p.plain!.perCenter));
    const weightDiff = Math.max(
      ...pairs.map((p) => Math.max(...p.he!.weights.map((w, i) => Math.abs(w - p.plain!.weights[i]!)))),
    );
    return [
      {
        method: id,
        seeds: pairs.length,
        meanAccuracyDifference: avg(diffs),
        maxAbsSeedDifference: Math.max(...diffs.map(Math.abs)),
        maxWeightDifference: weightDiff,
        pass: Math.max(...diffs.map(Math.abs)) < 0.005,
      },
    ];
  });
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: 'experiments/results/heart-disease-runs' },
      out: { type: 'string', default: 'experiments/results' },
      command: { type: 'string', default: '' },
    },
  });
  const runs: SetupRun[] = [];
  for (const setup of HEART_SETUPS) {
    try {
      runs.push(JSON.parse(await readFile(join(values.runs, `${setup.id}.json`), 'utf8')) as SetupRun);
    } catch {
      console.error(`no results for setup ${setup.id}: left out`);
    }
  }
  const rows = new Map(runs.map((r) => [r.setup.id, rowsOf(r)]));
  const flamby = rows.get('flamby') ?? [];
  const he = new Map(runs.map((r) => [r.setup.id, heVsPlain(r)]));
  const md: string[] = ["# Fed-Heart-Disease: hefl on FLamby's own setup, and hefl's recommended setup", ''];
  md.push(provenanceMarkdown(values.command, machineInfo()), '');
  md.push(
    `Runtime (wall clock, shared 2-core machine): ${runs.map((r) => `${r.setup.id} ${r.seconds.toFixed(0)} s`).join(', ')}. tfjs backend: ${runs[0]?.backend ?? 'n/a'}.`,
    '',
    "Metric (as FLamby): accuracy averaged over the four centers' test sets (unweighted mean of per-center accuracies), mean and sample std over 5 seeds (hefl seeds 0..4; FLamby's published seeds 42..46: the two cannot share random streams, PyTorch vs tfjs).",
    '',
    "FLamby published = mean of FLamby's own per-seed result files (owkin/FLamby, flamby/results/results_benchmark_fed_heart_disease/heart_seed42..46.csv); they give FedProx 0.685 (equal to FedAvg) and FedAdagrad = FedYogi.",
    '',
  );
  const settingsCols = (r: Row) => [
    r.settings.split!,
    r.settings.normalisation!,
    r.settings.init!,
    r.settings.optimiser!,
    r.settings.steps!,
  ];
  const settingsHead = ['split', 'normalisation', 'init', 'optimiser', 'steps'];
  if (flamby.length > 0) {
    md.push("## 1. FLamby's setup, like for like", '');
    md.push(
      "FLamby's preprocessing (drop slope/ca/thal, dropna, cp and restecg as FLamby's drop-first dummies: 13 numeric features, label num > 0), FLamby's fixed split (sklearn `train_test_split(random_state=43)`, stratified where FLamby stratifies, computed by `flamby-split.py` and fed to every site as `--split-column split`: train/test 199/104, 172/89, 30/16, 85/45), per-center normalisation (`data.scaling: per-site`), logistic regression with PyTorch's `nn.Linear` initialisation (`model.init: pytorch-linear`), FLamby's tuned local SGD and server settings (`config_heart_disease.json`), 15 rounds x 100 local steps, batch 4 (`local.steps: 100`); pooled and local: Adam lr 0.001, batch 4, 50 epochs.",
      '',
    );
    md.push(
      table(
        [
          'method',
          'HE',
          'seeds',
          'mean accuracy',
          'std',
          'FLamby published',
          'hefl - FLamby',
          ...settingsHead,
        ],
        flamby.map((r) => [
          r.name,
          r.he ? 'yes' : 'no',
          String(r.perSeed.length),
          f3(r.mean),
          f3(r.std),
          r.flamby ? `${f3(r.flamby.mean)} ± ${f3(r.flamby.std)}` : 'n/a',
          r.flamby ? signed(r.mean - r.flamby.mean) : 'n/a',
          ...settingsCols(r),
        ]),
      ),
      '',
    );
    md.push('Per center (mean over seeds), hefl / FLamby published:', '');
    md.push(
      table(
        ['method', ...CENTERS],
        flamby.map((r) => [
          r.name,
          ...CENTERS.map((_, j) => `${f3(r.perCenter[j])} / ${f3(r.flamby?.perCenter[j])}`),
        ]),
      ),
      '',
    );
  }
  const accept = ['fedavg', 'fedadam', 'fedyogi'].flatMap((key) => {
    const r = flamby.find((x) => x.key === key && !x.he);
    return r?.flamby
      ? [
          {
            method: key,
            seeds: r.perSeed.length,
            hefl: r.mean,
            flamby: r.flamby.mean,
            within002: Math.abs(r.mean - r.flamby.mean) <= 0.02,
          },
        ]
      : [];
  });
  if (accept.length > 0) {
    md.push(
      `Acceptance (plaintext within 0.02 of FLamby's published mean): ${accept
        .map(
          (a) =>
            `${a.method} ${f3(a.hefl)} vs ${f3(a.flamby)} (${signed(a.hefl - a.flamby)}, ${a.seeds} seed(s)): ${a.within002 ? 'met' : 'NOT met'}`,
        )
        .join('; ')}.`,
      '',
    );
  }
  md.push(
    'What still differs from FLamby in this setup, and why it is not (or cannot be) removed:',
    '',
    "- Random streams: hefl's seeds 0..4 drive tfjs and hefl's own shuffling; FLamby's seeds 42..46 drive PyTorch. Same distributions (init U(±1/sqrt(13)), uniform shuffles), different draws. FLamby's own seed-to-seed std is 0.028 for FedAvg, whose local SGD at lr 0.001 for 1,500 steps ends far from convergence and so stays sensitive to the initial draw (the Glorot ablation below moves it by more than any other change but scaling).",
    '- Standardisation: hefl divides by the population std (floored at 1e-6); FLamby by the sample std (n - 1) plus 1e-9. The ratio is sqrt(n/(n-1)): at most 1.7% (Switzerland, 30 training rows).',
    "- Local batches: hefl draws a fresh permutation at the start of every round's 100 steps; FLamby's data loader iterator carries on across rounds. Both are uniform reshuffles every pass.",
    '- Switzerland has 16 test rows, so one row moves its accuracy by 0.0625 and the four-center mean by 0.016.',
    '- With fewer than 5 seeds (see the seeds column) the means carry that much more seed noise.',
    ...flamby
      .filter((r) => r.key === 'pooled' && r.flamby && Math.abs(r.mean - r.flamby.mean) > 0.01)
      .map(
        (r) =>
          `- Pooled training ends ${signed(r.mean - r.flamby!.mean)} from FLamby's (its std over seeds is ${f3(r.std)}, FLamby's ${f3(r.flamby!.std)}), mostly at Cleveland and VA (per-center table); not explained by the ablations here. An untested candidate: tfjs's Adam uses epsilon 1e-7 where PyTorch's uses 1e-8.`,
      ),
    '',
  );
  md.push('## 2. HE vs plaintext (every federated row run both ways)', '');
  md.push(
    table(
      [
        'setup',
        'method',
        'seeds',
        'mean accuracy difference (HE - plaintext)',
        'largest per-seed abs. difference',
        'largest per-weight difference',
        '< 0.005',
      ],
      [...he.entries()].flatMap(([setup, list]) =>
        list.map((d) => [
          setup,
          d.method,
          String(d.seeds),
          d.meanAccuracyDifference.toFixed(4),
          d.maxAbsSeedDifference.toFixed(4),
          d.maxWeightDifference.toExponential(2),
          d.pass ? 'met' : 'NOT met',
        ]),
      ),
    ),
    '',
  );
  const ablationKeys = ['pooled', 'fedavg', 'fedadam', 'fedyogi'];
  const base = new Map(flamby.filter((r) => !r.he).map((r) => [r.key, r.mean]));
  md.push("## 3. Ablation: one change at a time away from FLamby's setup (plaintext)", '');
  md.push(
    table(
      ['setup', 'seeds', ...ablationKeys.map((k) => `${k} (change)`)],
      runs
        .filter((r) => r.setup.id !== 'hefl')
        .map((r) => {
          const plain = new Map(
            (rows.get(r.setup.id) ?? []).filter((x) => !x.he).map((x) => [x.key, x.mean]),
          );
          return [
            r.setup.label,
            String(r.seeds.length),
            ...ablationKeys.map((k) => {
              const v = plain.get(k);
              const b = base.get(k);
              if (v === undefined) return 'n/a';
              return r.setup.id === 'flamby' || b === undefined ? f3(v) : `${f3(v)} (${signed(v - b)})`;
            }),
          ];
        }),
    ),
    '',
  );
  const hefl = rows.get('hefl');
  if (hefl) {
    md.push("## 4. hefl's recommended setup (a different setup: not comparable to FLamby's numbers)", '');
    md.push(
      'Seeded 66/34 stratified split per seed (so the std includes split variance), global normalisation from encrypted sums, Glorot initialisation, hashed one-hot cp/restecg, 20 rounds x 1 local epoch SGD lr 0.01 batch 4, adaptive server lr 0.1; pooled/local SGD lr 0.01 for 20 epochs.',
      '',
    );
    md.push(
      table(
        ['method', 'HE', 'seeds', 'mean accuracy', 'std', ...settingsHead],
        hefl.map((r) => [
          r.name,
          r.he ? 'yes' : 'no',
          String(r.perSeed.length),
          f3(r.mean),
          f3(r.std),
          ...settingsCols(r),
        ]),
      ),
      '',
    );
  }
  let verification: unknown;
  try {
    verification = JSON.parse(await readFile(join(values.runs, 'verification.json'), 'utf8'));
  } catch {
    verification = undefined;
  }
  md.push('## 5. Checked against the real site node', '');
  md.push(
    verification
      ? `FLamby's setup (FedAvg, seed 0, under HE) as a real 4-site gRPC federation whose site nodes read their CSV with \`splitColumn: 'split'\` (what \`hefl site start --split-column split\` passes), build the job's per-site scaling and PyTorch initialisation themselves, and sign every round's model: \`${JSON.stringify(verification)}\``
      : "Not run in this invocation (run-flamby-benchmark --verify): every number above comes from the in-process replay with the site node's own building blocks.",
    '',
  );
  const json = {
    experiment: 'fed-heart-disease-like-for-like',
    command: values.command,
    machine: machineInfo(),
    flambyPublished: FLAMBY_PUBLISHED,
    setups: runs.map((r) => ({
      ...r.setup,
      seconds: r.seconds,
      rows: rows.get(r.setup.id),
      heVsPlaintext: he.get(r.setup.id),
      verification: r.verification,
    })),
  };
  const plotRows = flamby.filter((r) => !r.name.startsWith('Local'));
  const paths = await writeResults(values.out, 'heart-disease', {
    json,
    markdown: md.join('\n'),
    plot: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: "Fed-Heart-Disease on FLamby's setup: hefl (bars) and FLamby published (ticks)",
      width: 420,
      data: {
        values: plotRows.map((r) => ({
          method: r.name,
          mean: r.mean,
          low: r.mean - r.std,
          high: r.mean + r.std,
          flamby: r.flamby?.mean ?? null,
        })),
      },
      layer: [
        {
          mark: { type: 'bar', color: '#4c78a8' },
          encoding: {
            y: { field: 'method', type: 'nominal', sort: null, title: null },
            x: { field: 'mean', type: 'quantitative', title: 'accuracy', scale: { domain: [0.4, 1] } },
          },
        },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: {
            y: { field: 'method', type: 'nominal', sort: null },
            x: { field: 'low', type: 'quantitative' },
            x2: { field: 'high' },
          },
        },
        {
          mark: { type: 'tick', color: '#e45756', thickness: 3 },
          encoding: {
            y: { field: 'method', type: 'nominal', sort: null },
            x: { field: 'flamby', type: 'quantitative' },
          },
        },
      ],
    },
  });
  console.error(`wrote ${paths.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
