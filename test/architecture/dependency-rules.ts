import type { ImportEdge } from './import-graph.js';

/** One import that breaks a rule, with the rule's reason. */
export interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly specifier: string;
  readonly why: string;
}

/**
 * The direction of dependencies (README "Layout"): a folder imports only its own files and
 * folders of a lower rank. `coordinator/` and `client-node/` share a rank and never import
 * each other; nothing in production imports `test/`.
 */
export const LAYER_RANK: Readonly<Record<string, number>> = {
  proto: 0,
  common: 1,
  coordinator: 2,
  'client-node': 2,
  cli: 3,
  experiments: 4,
  test: 5,
};

/** The files through which code outside a side may import it; the rest of the side is internal. */
export const PUBLIC_ENTRIES: Readonly<Record<string, readonly string[]>> = {
  coordinator: ['coordinator/index.ts'],
  'client-node': ['client-node/index.ts', 'client-node/in-process.ts'],
};

/** Where a package may be imported (type-only imports included), and why there. */
export interface PackagePlace {
  readonly packages: (name: string) => boolean;
  readonly label: string;
  /** Folder prefixes (ending in `/`) or exact files. */
  readonly allowed: readonly string[];
  readonly why: string;
}

export const PACKAGE_PLACES: readonly PackagePlace[] = [
  {
    label: 'node-seal',
    packages: (name) => name === 'node-seal',
    allowed: ['common/he/'],
    why: 'SEAL objects are WASM memory: one folder owns them and frees them (STYLE habit 7)',
  },
  {
    label: 'TensorFlow.js',
    packages: (name) => name.startsWith('@tensorflow/'),
    allowed: ['client-node/training/'],
    why: 'tensors are owned and disposed in one folder; everything else sees Float32Array',
  },
  {
    label: 'tweetnacl',
    packages: (name) => name === 'tweetnacl',
    allowed: ['common/crypto/'],
    why: 'one place holds the signing and sealing primitives',
  },
  {
    label: '@grpc/grpc-js',
    packages: (name) => name === '@grpc/grpc-js',
    allowed: [
      'proto/gen/',
      'coordinator/transport/',
      // the site's client transport: the gRPC client and how it reads a failed call's status
      'client-node/coordinator-client.ts',
      'client-node/connection-failure.ts',
      'client-node/retry-until-acknowledged.ts',
      'cli/researcher/researcher-client.ts',
      // the one table from error codes to gRPC status codes (STYLE habit 4)
      'common/errors/error-code.ts',
      // mutual-TLS credentials for both ends, made from the federation's PEM files
      'common/identity/tls-credentials.ts',
      // plaintext loopback credentials of the in-process federation (tests and experiments)
      'experiments/harness/in-process-federation.ts',
    ],
    why: 'generated proto types and gRPC stop at the transport adapters',
  },
  {
    label: 'vega / vega-lite',
    packages: (name) => name === 'vega' || name === 'vega-lite',
    allowed: ['experiments/'],
    why: 'plots are drawn by experiments only, so vega is a devDependency',
  },
];

/** Source files whose rules are checked: production code (tests and fixtures may reach anywhere). */
export function isProductionFile(path: string): boolean {
  const top = topFolder(path);
  return (
    top !== 'test' && top in LAYER_RANK && !path.endsWith('.test.ts') && !path.split('/').includes('fixtures')
  );
}

function topFolder(path: string): string {
  return path.split('/')[0]!;
}

function isUnder(path: string, places: readonly string[]): boolean {
  return places.some((place) => (place.endsWith('/') ? path.startsWith(place) : path === place));
}

/** Runtime folders of `hefl` (what `npm ci --omit=dev` must still run). */
const RUNTIME_FOLDERS = new Set(['proto', 'common', 'coordinator', 'client-node', 'cli']);

/**
 * Every import of a production file that breaks a rule. `devDependencies` are the names in
 * package.json's devDependencies: the `hefl` command must run without them.
 */
export function checkDependencyRules(
  edges: readonly ImportEdge[],
  devDependencies: ReadonlySet<string>,
): Violation[] {
  const violations: Violation[] = [];
  const refuse = (edge: ImportEdge, rule: string, why: string) =>
    violations.push({ rule, from: edge.from, specifier: edge.specifier, why });
  for (const edge of edges) {
    if (!isProductionFile(edge.from)) continue;
    const fromTop = topFolder(edge.from);
    if (edge.file !== undefined) {
      const toTop = topFolder(edge.file);
      const fromRank = LAYER_RANK[fromTop]!;
      const toRank = LAYER_RANK[toTop];
      if (toTop !== fromTop && toRank !== undefined && toRank >= fromRank) {
        refuse(
          edge,
          'layers',
          `${fromTop}/ must not import ${toTop}/ (common <- coordinator, client-node <- cli <- experiments)`,
        );
      }
      const entries = PUBLIC_ENTRIES[toTop];
      if (entries !== undefined && toTop !== fromTop && !entries.includes(edge.file)) {
        refuse(edge, 'public-surface', `outside ${toTop}/ import only ${entries.join(' or ')}`);
      }
      if (edge.from.startsWith('coordinator/job/') && edge.file.startsWith('coordinator/transport/')) {
        refuse(edge, 'job-without-transport', 'the job state machine never sees the transport');
      }
      if (fromTop === 'cli' && edge.file === 'client-node/in-process.ts' && !edge.dynamic && !edge.typeOnly) {
        refuse(edge, 'light-cli', 'cli/ loads client-node/in-process.ts (TensorFlow.js) only with import()');
      }
    }
    if (edge.packageName !== undefined) {
      for (const place of PACKAGE_PLACES) {
        if (place.packages(edge.packageName) && !isUnder(edge.from, place.allowed)) {
          refuse(edge, 'package-place', `${place.label} only in ${place.allowed.join(', ')}: ${place.why}`);
        }
      }
      if (RUNTIME_FOLDERS.has(fromTop) && !edge.typeOnly && devDependencies.has(edge.packageName)) {
        refuse(
          edge,
          'dev-dependency',
          `${edge.packageName} is a devDependency; the hefl command must run without it`,
        );
      }
    }
  }
  return violations;
}

/** One line per violation, for a failing test's message. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.from}: '${v.specifier}' (${v.rule}: ${v.why})`).join('\n');
}
