import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDependencyRules, formatViolations } from './dependency-rules.js';
import { type ImportEdge, importGraph, importsOf, REPOSITORY_ROOT, sourceFiles } from './import-graph.js';

const FOLDERS = ['proto', 'common', 'coordinator', 'client-node', 'cli', 'experiments', 'test'];

function devDependencies(): Set<string> {
  const manifest = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  return new Set(Object.keys(manifest.devDependencies ?? {}));
}

/** The edges of one made-up file, as if `text` were its source. */
function edgesOf(file: string, text: string): ImportEdge[] {
  return importsOf(file, text);
}

function rulesBrokenBy(file: string, text: string, dev = new Set<string>()): string[] {
  return checkDependencyRules(edgesOf(file, text), dev).map((v) => v.rule);
}

describe('dependency rules of the repository', () => {
  it('no production import breaks a rule', () => {
    const files = sourceFiles(REPOSITORY_ROOT, FOLDERS);
    expect(files.length).toBeGreaterThan(300); // the walk found the tree
    const violations = checkDependencyRules(importGraph(REPOSITORY_ROOT, files), devDependencies());
    expect(formatViolations(violations)).toBe('');
  });
});

describe('each rule refuses what it should', () => {
  it('layers: common must not import the coordinator; coordinator and client-node never each other', () => {
    expect(rulesBrokenBy('common/he/x.ts', "import { a } from '../../coordinator/index.js';")).toContain(
      'layers',
    );
    expect(
      rulesBrokenBy('coordinator/job/x.ts', "import { a } from '../../client-node/index.js';"),
    ).toContain('layers');
    expect(rulesBrokenBy('client-node/x.ts', "import type { A } from '../coordinator/index.js';")).toContain(
      'layers',
    );
    expect(
      rulesBrokenBy('cli/x.ts', "import { a } from '../experiments/harness/in-process-federation.js';"),
    ).toEqual(['layers']);
    expect(
      rulesBrokenBy('experiments/x.ts', "import { a } from '../test/support/local-federation.js';"),
    ).toEqual(['layers']);
    expect(rulesBrokenBy('cli/x.ts', "import { a } from '../common/errors/index.js';")).toEqual([]);
  });

  it('public surface: outside code imports coordinator/ and client-node/ only through their entry files', () => {
    expect(rulesBrokenBy('cli/x.ts', "import { a } from '../coordinator/job/job-controller.js';")).toEqual([
      'public-surface',
    ]);
    expect(
      rulesBrokenBy('experiments/x/y.ts', "import { a } from '../../client-node/site-node.js';"),
    ).toEqual(['public-surface']);
    expect(rulesBrokenBy('cli/x.ts', "import { a } from '../coordinator/index.js';")).toEqual([]);
    expect(rulesBrokenBy('coordinator/job/x.ts', "import { a } from '../storage/job-store.js';")).toEqual([]);
  });

  it('the job state machine never imports the transport', () => {
    expect(
      rulesBrokenBy('coordinator/job/x.ts', "import type { A } from '../transport/site-service.js';"),
    ).toEqual(['job-without-transport']);
  });

  it('cli loads client-node/in-process.ts (TensorFlow.js) only on demand', () => {
    expect(rulesBrokenBy('cli/x.ts', "import { a } from '../client-node/in-process.js';")).toEqual([
      'light-cli',
    ]);
    expect(rulesBrokenBy('cli/x.ts', "const m = await import('../client-node/in-process.js');")).toEqual([]);
  });

  it('packages stay in their folder, type-only imports included', () => {
    expect(
      rulesBrokenBy('coordinator/job/x.ts', "import type { CipherText } from 'node-seal/x.js';"),
    ).toEqual(['package-place']);
    expect(rulesBrokenBy('client-node/model-release.ts', "import * as tf from '@tensorflow/tfjs';")).toEqual([
      'package-place',
    ]);
    expect(rulesBrokenBy('common/fl/x.ts', "import nacl from 'tweetnacl';")).toEqual(['package-place']);
    expect(rulesBrokenBy('cli/job/x.ts', "const g = require('@grpc/grpc-js');")).toEqual(['package-place']);
    expect(rulesBrokenBy('cli/x.ts', "import * as vega from 'vega';")).toEqual(['package-place']);
    expect(rulesBrokenBy('common/he/x.ts', "import type { A } from 'node-seal/x.js';")).toEqual([]);
    expect(rulesBrokenBy('client-node/training/x.ts', "import * as tf from '@tensorflow/tfjs';")).toEqual([]);
  });

  it('the hefl command imports no devDependency at run time', () => {
    const dev = new Set(['vitest', '@medplum/fhirtypes']);
    expect(rulesBrokenBy('cli/x.ts', "import { it } from 'vitest';", dev)).toEqual(['dev-dependency']);
    expect(
      rulesBrokenBy('client-node/x.ts', "import type { Patient } from '@medplum/fhirtypes';", dev),
    ).toEqual([]);
    expect(rulesBrokenBy('experiments/x.ts', "import { it } from 'vitest';", dev)).toEqual([]);
  });

  it('tests and fixtures are not production code', () => {
    expect(
      rulesBrokenBy('coordinator/job/x.test.ts', "import { a } from '../../client-node/site-node.js';"),
    ).toEqual([]);
    expect(
      rulesBrokenBy('test/x.test.ts', "import { a } from '../coordinator/job/job-controller.js';"),
    ).toEqual([]);
  });

  it('test fixtures live under test/, not in production folders', () => {
    const production = sourceFiles(
      REPOSITORY_ROOT,
      FOLDERS.filter((f) => f !== 'test'),
    );
    expect(production.filter((f) => f.split('/').includes('fixtures'))).toEqual([]);
  });
});
