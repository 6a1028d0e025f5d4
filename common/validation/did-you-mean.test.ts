import { describe, expect, it } from 'vitest';
import { didYouMean } from './did-you-mean.js';

describe('didYouMean', () => {
  it('suggests the key a misspelt or shortened one meant, and nothing when none is close', () => {
    const keys = ['roundDeadlineSeconds', 'recruitSeconds', 'categorical', 'unit', 'range'];

    expect(didYouMean('roundDeadline', keys)).toBe('roundDeadlineSeconds');
    expect(didYouMean('categorial', keys)).toBe('categorical');
    expect(didYouMean('unti', keys)).toBe('unit');
    expect(didYouMean('colour', keys)).toBeUndefined();
  });
});
