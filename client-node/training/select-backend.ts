import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { HeflError } from '../../common/errors/index.js';

/** Which tfjs backend runs the maths in this thread, and why that one was picked. */
export interface BackendSelection {
  readonly name: 'tensorflow' | 'wasm' | 'cpu';
  /** One human-readable line for the caller's log (no data, no weights). */
  readonly reason: string;
}

/**
 * What a site asks for: `auto` (the fastest that works: native, else WebAssembly) or one
 * backend by name. The pure-JavaScript `cpu` backend (several times slower) is used only
 * when asked for by name: it is never a silent fallback.
 */
export type BackendPreference = 'auto' | BackendSelection['name'];
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/**
 * The tfjs engine is process-global (per thread), so the choice is made once and shared:
 * later calls return the same promise (asking for another backend afterwards is an error).
 */
let selection: { preference: BackendPreference; result: Promise<BackendSelection> } | undefined;

/**
 * Activates the backend `preference` names, or with `auto` the fastest available, in order:
 * 1. `tensorflow` (native libtensorflow through the optional `@tensorflow/tfjs-node`; not
 *    installed is not an error, installed but failing is),
 * 2. `wasm` (`@tensorflow/tfjs-backend-wasm`, its SIMD build where the runtime has SIMD).
 * A backend that fails to initialise rejects with a HeflError ('failed_precondition')
 * naming it and why; nothing falls back to `cpu` unless `cpu` is asked for. Idempotent.
 * The caller logs the result.
 */
export function selectBackend(preference: BackendPreference = 'auto'): Promise<BackendSelection> {
  if (selection && selection.preference !== preference)
    return Promise.reject(
      new HeflError(
        'failed_precondition',
        `tfjs backend already selected for '${selection.preference}' in this thread; cannot switch to '${preference}'`,
      ),
    );
  selection ??= { preference, result: chooseBackend(preference, REAL_PROBES) };
  return selection.result;
}

/** How each backend is tried: true once active, else why not ('not installed' for an absent optional package). */
export interface BackendProbes {
  native(): Promise<true | string>;
  wasm(): Promise<true | string>;
  cpu(): Promise<void>;
  /** A few words on the active WebAssembly build, for the log. */
  wasmBuild(): Promise<string>;
}

const REAL_PROBES: BackendProbes = {
  native: tryNative,
  wasm: tryWasm,
  async cpu() {
    await tf.setBackend('cpu');
    await tf.ready();
  },
  async wasmBuild() {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return `${simd ? 'with SIMD' : 'without SIMD'}, single-threaded (the multi-threaded build cannot start its workers under Node)`;
  },
};

/** The decision of `selectBackend`, on the given probes (exported for its tests). */
export async function chooseBackend(
  preference: BackendPreference,
  probes: BackendProbes,
): Promise<BackendSelection> {
  if (preference === 'cpu') {
    await probes.cpu();
    return { name: 'cpu', reason: 'plain JavaScript, as configured (slow)' };
  }
  let nativeNote = '';
  if (preference === 'auto' || preference === 'tensorflow') {
    const native = await probes.native();
    if (native === true)
      return { name: 'tensorflow', reason: 'native libtensorflow via @tensorflow/tfjs-node' };
    if (preference === 'tensorflow' || native !== 'not installed') throw failed('tensorflow', native);
    nativeNote = 'tfjs-node not installed; ';
  }
  const wasm = await probes.wasm();
  if (wasm !== true) throw failed('wasm', wasm);
  return { name: 'wasm', reason: `${nativeNote}WebAssembly ${await probes.wasmBuild()}` };
}

function failed(name: string, why: string): HeflError {
  return new HeflError(
    'failed_precondition',
    `TensorFlow.js backend '${name}' failed to initialise: ${why} (the plain-JavaScript 'cpu' backend is used only when configured)`,
  );
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
    // The threaded build starts Emscripten pthreads from blob: URLs, which Node's Worker
    // refuses (ERR_WORKER_PATH); measured: SIMD single-threaded is 3x the non-SIMD build.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
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
