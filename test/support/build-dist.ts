import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// vitest globalSetup of the `integration` project: the integration tests start the built
// CLI (dist/cli/main.js) as real processes, so dist/ is built here first when it is missing
// or older than any source, instead of those tests skipping silently. A failed build fails
// the run.

const ROOT = new URL('../..', import.meta.url).pathname;
const SOURCE_DIRS = ['proto', 'common', 'coordinator', 'client-node', 'cli', 'experiments'];
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/finish-build.mjs', 'package.json'];
export const BUILT_CLI = join(ROOT, 'dist/cli/main.js');

/** The newest modification time (ms) of a file that goes into the build. */
function newestSource(): { path: string; mtimeMs: number } {
  let newest = { path: '', mtimeMs: 0 };
  const consider = (path: string) => {
    const { mtimeMs } = statSync(path);
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) consider(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(ROOT, dir));
  for (const file of BUILD_INPUTS) consider(join(ROOT, file));
  return newest;
}

/** Why dist/ must be (re)built, or undefined when it is up to date. */
export function staleBuildReason(): string | undefined {
  if (!existsSync(BUILT_CLI)) return 'dist/cli/main.js is missing';
  const built = statSync(BUILT_CLI).mtimeMs;
  const newest = newestSource();
  if (newest.mtimeMs > built) return `${newest.path.slice(ROOT.length)} is newer than dist/cli/main.js`;
  return undefined;
}

export default function buildDist(): void {
  const reason = staleBuildReason();
  if (!reason) return;
  console.log(`[integration setup] ${reason}: running npm run build once before the integration tests`);
  const started = Date.now();
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`[integration setup] build done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
