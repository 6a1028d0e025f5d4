import { type MachineInfo, provenanceMarkdown } from '../plot/machine-info.js';
import { markdownTable } from '../plot/markdown-table.js';
import type { VegaLiteSpec } from '../plot/render-vega-lite-svg.js';

/** One method's summary over seeds (the shape of `heart-disease.json`'s `methods`). */
export interface HeartMethodSummary {
  readonly name: string;
  readonly strategy: string;
  readonly he: boolean;
  readonly dpEpsilon: number | null;
  /** Mean over seeds of the unweighted mean of the four per-center test accuracies. */
  readonly meanAccuracy: number;
  /** Sample standard deviation over seeds of the same quantity. */
  readonly std: number;
  readonly perSeed: number[];
  /** Mean over seeds of each center's accuracy (cleveland, hungary, switzerland, va). */
  readonly perCenter: number[];
  /** Federated methods: mean over seeds of the pooled accuracy the federation reported. */
  readonly federationPooledAccuracy?: number;
  /** Federated methods: how many seeds' replayed final model hash matched the federation's. */
  readonly modelHashMatches?: string;
  readonly flamby?: string;
}

/** FLamby's published Fed-Heart-Disease accuracies (Ogier du Terrail et al., NeurIPS 2022). */
export const FLAMBY_REFERENCE: Readonly<Record<string, string>> = {
  'Local (own center)': '0.57-0.72 (local models, tested on all 4 centers)',
  'Pooled (centralised)': '0.735',
  'FedAvg, plaintext': '0.685',
  'FedAvg, HE': '0.685 (FLamby has no HE)',
  'FedAdam, HE': '0.726 (no HE)',
  'FedYogi, HE': '0.731 (no HE)',
  'FedAdagrad, HE': '0.731 (no HE)',
  'FedProx, HE': 'n/a (FLamby reports FedProx 0.716 on this task, no HE)',
};

const f3 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3));

/** The Markdown report: provenance, the comparison table, and per-center detail. */
export function heartMarkdown(input: {
  methods: readonly HeartMethodSummary[];
  command: string;
  machine: MachineInfo;
  runtimeSeconds: number;
  seeds: number;
  /** One-line findings shown under the provenance. */
  headline: string[];
  settings: string[];
  notes: string[];
}): string {
  const main = markdownTable(
    ['method', 'HE', 'DP epsilon', 'mean accuracy', `std (${input.seeds} seeds)`, 'FLamby published'],
    input.methods.map((m) => [
      m.name,
      m.he ? 'yes' : 'no',
      m.dpEpsilon ?? '-',
      f3(m.meanAccuracy),
      f3(m.std),
      m.flamby ?? FLAMBY_REFERENCE[m.name] ?? '-',
    ]),
  );
  const detail = markdownTable(
    [
      'method',
      'cleveland',
      'hungary',
      'switzerland',
      'va',
      'pooled (federation-reported; verified seeds only)',
      'model hash = replay',
    ],
    input.methods.map((m) => [
      m.name,
      ...m.perCenter.map(f3),
      f3(m.federationPooledAccuracy),
      m.modelHashMatches ?? '-',
    ]),
  );
  return [
    '# Fed-Heart-Disease: hefl next to FLamby',
    '',
    provenanceMarkdown(input.command, input.machine),
    '',
    `Runtime: ${input.runtimeSeconds} s wall clock for the whole command, including any concurrent load on the machine.`,
    '',
    ...input.headline.map((s) => `- ${s}`),
    '',
    "Metric (as FLamby): accuracy averaged over the four centers' test sets (unweighted mean of",
    'per-center accuracies), mean and sample standard deviation over seeds.',
    '',
    main,
    '',
    '## Per-center accuracy (mean over seeds)',
    '',
    detail,
    '',
    '## Settings',
    '',
    ...input.settings.map((s) => `- ${s}`),
    '',
    '## What is comparable and what is not',
    '',
    ...input.notes.map((s) => `- ${s}`),
  ].join('\n');
}

/** Bar chart of mean accuracy with ±1 std error bars, FLamby's published values as ticks. */
export function heartPlot(methods: readonly HeartMethodSummary[]): VegaLiteSpec {
  const flambyValue: Record<string, number> = {
    'Pooled (centralised)': 0.735,
    'FedAvg, plaintext': 0.685,
    'FedAvg, HE': 0.685,
    'FedAdam, HE': 0.726,
    'FedYogi, HE': 0.731,
    'FedAdagrad, HE': 0.731,
  };
  const values = methods.map((m) => ({
    method: m.name,
    mean: m.meanAccuracy,
    low: m.meanAccuracy - m.std,
    high: m.meanAccuracy + m.std,
    flamby: flambyValue[m.name] ?? null,
  }));
  const y = { field: 'method', type: 'nominal', sort: null, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Fed-Heart-Disease: mean per-center test accuracy (bars: hefl, ticks: FLamby published)',
    width: 420,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          y,
          x: { field: 'mean', type: 'quantitative', title: 'accuracy', scale: { domain: [0.4, 1] } },
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { y, x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } },
      },
      {
        mark: { type: 'tick', color: '#e45756', thickness: 3 },
        encoding: { y, x: { field: 'flamby', type: 'quantitative' } },
      },
    ],
  };
}
