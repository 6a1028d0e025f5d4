import { describe, expect, it } from 'vitest';
import { type BackendProbes, chooseBackend, selectBackend } from './select-backend.js';

function probes(native: true | string, wasm: true | string): BackendProbes & { cpuCalls: number } {
  const p = {
    cpuCalls: 0,
    native: async () => native,
    wasm: async () => wasm,
    cpu: async () => {
      p.cpuCalls++;
    },
    wasmBuild: async () => 'with SIMD',
  };
  return p;
}

describe('choosing the training backend (issue 20: no silent fallback to plain JavaScript)', () => {
  it('a WebAssembly backend that fails to initialise is an error naming it, not the cpu backend', async () => {
    const p = probes('not installed', 'failed to initialise: no WebAssembly');

    await expect(chooseBackend('auto', p)).rejects.toThrow(
      "TensorFlow.js backend 'wasm' failed to initialise: failed to initialise: no WebAssembly",
    );
    expect(p.cpuCalls).toBe(0);
  });

  it('an installed native backend that fails is an error too; an absent one is skipped', async () => {
    await expect(chooseBackend('auto', probes('failed to load: libtensorflow.so', true))).rejects.toThrow(
      "backend 'tensorflow' failed to initialise: failed to load: libtensorflow.so",
    );
    const wasm = await chooseBackend('auto', probes('not installed', true));
    expect(wasm.name).toBe('wasm');
    expect(wasm.reason).toBe('tfjs-node not installed; WebAssembly with SIMD');
  });

  it('uses cpu only when asked for by name', async () => {
    const p = probes('not installed', 'broken');

    const cpu = await chooseBackend('cpu', p);

    expect(cpu.name).toBe('cpu');
    expect(p.cpuCalls).toBe(1);
  });

  it('asking for the native backend where it is not installed names it (real tfjs, this machine)', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(
      "TensorFlow.js backend 'tensorflow' failed to initialise: not installed",
    );
  });
});
