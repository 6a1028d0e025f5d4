import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Which tfjs backend runs the maths in this thread, and why that one was picked. */
export interface BackendSelection {
  readonly name: 'tensorflow' | 'wasm' | 'cpu';
  /** One human-readable line for the caller's log (no data, no weights). */
  readonly reason: string;
}

/**
 * The tfjs engine is process-global (per thread), so the choice is made once and shared:
 * later calls return the same promise. Never throws: the pure-JS 'cpu' backend always works.
 */
let selection: Promise<BackendSelection> | undefined;

/**
 * Picks the fastest backend available in this thread, in order:
 * 1. `tensorflow` (native libtensorflow through the optional `@tensorflow/tfjs-node`),
 * 2. `wasm` (`@tensorflow/tfjs-backend-wasm`, binaries loaded from its `dist/` folder),
 * 3. `cpu` (plain JavaScript, slow but always present).
 * Idempotent. The caller logs the result.
 */
export function selectBackend(): Promise<BackendSelection> {
  selection ??= pick();
  return selection;
}

async function pick(): Promise<BackendSelection> {
  const failures: string[] = [];
  const native = await tryNative();
  if (native === true)
    return { name: 'tensorflow', reason: 'native libtensorflow via @tensorflow/tfjs-node' };
  failures.push(`tensorflow: ${native}`);
  const wasm = await tryWasm();
  if (wasm === true) return { name: 'wasm', reason: `tfjs-node unavailable (${native}); using WebAssembly` };
  failures.push(`wasm: ${wasm}`);
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', reason: `fell back to plain JavaScript (${failures.join('; ')})` };
}

/** Returns true when the native backend is active, otherwise why not. */
async function tryNative(): Promise<true | string> {
  // A variable specifier keeps TypeScript from requiring the optional package's types.
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
  } catch (error) {
    return isModuleNotFound(error) ? 'not installed' : `failed to load: ${describe(error)}`;
  }
  return activate('tensorflow');
}

async function tryWasm(): Promise<true | string> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries sit next to the package's main file in dist/.
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    // Emscripten reads them with fs in Node, so this is a file path prefix, not a URL.
    wasm.setWasmPaths(`${dirname(main)}${sep}`);
  } catch (error) {
    return `failed to load: ${describe(error)}`;
  }
  return activate('wasm');
}

async function activate(name: string): Promise<true | string> {
  try {
    if (!(await tf.setBackend(name))) return 'backend failed to initialise';
    await tf.ready();
    return tf.getBackend() === name ? true : 'backend not active after initialisation';
  } catch (error) {
    return `failed to initialise: ${describe(error)}`;
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
