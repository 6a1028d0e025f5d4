import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildModel } from './model-builder.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('building the round-0 model on a site main thread', () => {
  it("prints no TensorFlow.js banner on the operator's stderr (the pure-JS backend's first tensor)", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await tf.setBackend('cpu');

    const model = buildModel({ kind: 'logreg' }, 3, 1);
    model.dispose();

    const banners = warn.mock.calls.filter((call) => String(call[0]).includes('TensorFlow.js in Node.js'));
    expect(banners).toEqual([]);
  });
});
