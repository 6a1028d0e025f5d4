import { describe, expect, it } from 'vitest';
import { WorkerTrainer } from './worker-trainer.js';

describe('the training worker starts the backend the site asks for (issue 20)', () => {
  it('cpu when named (plain JavaScript, never a silent fallback)', async () => {
    const trainer = await WorkerTrainer.create('cpu');
    try {
      expect(trainer.backend.name).toBe('cpu');
      expect(trainer.backend.reason).toContain('as configured');
    } finally {
      await trainer.close();
    }
  }, 60_000);

  it('a backend that cannot start is an error naming it', async () => {
    await expect(WorkerTrainer.create('tensorflow')).rejects.toThrow(
      "TensorFlow.js backend 'tensorflow' failed to initialise: not installed",
    );
  }, 60_000);

  it('auto picks native or WebAssembly (never cpu) and says which build', async () => {
    const trainer = await WorkerTrainer.create();
    try {
      expect(['tensorflow', 'wasm']).toContain(trainer.backend.name);
      if (trainer.backend.name === 'wasm')
        expect(trainer.backend.reason).toMatch(/WebAssembly with(out)? SIMD, single-threaded/);
    } finally {
      await trainer.close();
    }
  }, 60_000);
});
