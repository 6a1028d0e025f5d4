import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./faulty-site.mjs', import.meta.url));

/**
 * The Node arguments that start a site process through the test-only entry script
 * `faulty-site.mjs` (the built `hefl site start` with a fault composed in) instead of the
 * CLI: pass as the `entry` of a HeflProcess, followed by the usual `site start` flags.
 * Needs `npm run build` (as every process test does).
 */
export function faultySiteCommand(fault: { readonly trainDelayMs: number }): readonly string[] {
  if (!Number.isInteger(fault.trainDelayMs) || fault.trainDelayMs < 0)
    throw new Error(`trainDelayMs must be a non-negative integer, got ${fault.trainDelayMs}`);
  return [SCRIPT, '--train-delay-ms', String(fault.trainDelayMs)];
}
