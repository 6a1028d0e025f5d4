export { createSeededRandom, type RandomSource } from './seeded-random.js';
export { type MutableIndexed, shuffleInPlace } from './shuffle-in-place.js';
