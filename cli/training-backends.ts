import type { BackendPreference } from '../client-node/index.js';

/**
 * `--backend` of `hefl site start` and `hefl simulate`: the TensorFlow.js backend a site
 * trains with. `auto` takes the fastest that works (native tfjs-node if installed, else
 * WebAssembly); a backend that fails to initialise stops the site with an error naming it;
 * the slow plain-JavaScript `cpu` backend is used only when named here.
 */
export const TRAINING_BACKENDS = [
  'auto',
  'tensorflow',
  'wasm',
  'cpu',
] as const satisfies readonly BackendPreference[];
