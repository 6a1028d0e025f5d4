import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend.js';

describe('selectBackend', () => {
  it('activates a working backend once and reports it', async () => {
    const first = await selectBackend();
    const second = await selectBackend();

    expect(second).toBe(first);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(first.name);
    expect(tf.getBackend()).toBe(first.name);
    expect(first.reason.length).toBeGreaterThan(0);
    expect(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).arraySync())).toEqual([2, 3]);
  });
});
