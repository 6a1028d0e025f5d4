import { createRequire } from 'node:module';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';

export type { SEALLibrary };

let loading: Promise<SEALLibrary> | undefined;

/**
 * Loads the node-seal WebAssembly module. Instantiating it costs ~100 ms and tens of MB,
 * so one instance per process is shared (SEAL objects from different instances must never
 * be mixed). node-seal 6.0.3 is pinned: 7.x needs WebAssembly features Node 20 lacks.
 */
export function loadSeal(): Promise<SEALLibrary> {
  if (!loading) {
    const require = createRequire(import.meta.url);
    const factory = require('node-seal') as () => Promise<SEALLibrary>;
    loading = factory();
  }
  return loading;
}
