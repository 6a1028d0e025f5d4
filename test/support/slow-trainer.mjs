// Plain JavaScript (types in slow-trainer.d.mts) so that the test-only site process
// (faulty-site.mjs) loads it without a TypeScript loader, as fast as the built CLI.

/**
 * A trainer whose training takes `delayMs` longer: a slow site. Tests use it for
 * stragglers (and for rounds that take time as real training does): in-process sites take
 * it directly, a site process through the test-only entry script `faulty-site.mjs`.
 */
export function slowTrainer(base, delayMs) {
  return {
    backend: base.backend,
    train: async (input) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return base.train(input);
    },
    evaluate: (input) => base.evaluate(input),
    close: () => base.close(),
  };
}
