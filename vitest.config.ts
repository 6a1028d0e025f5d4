import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects (vitest 4 `projects`): `unit` = the tests colocated with the code (in-process,
// deterministic, no dist/ needed); `integration` = test/ (real processes, sockets, TLS; its
// globalSetup builds dist/ when it is missing or stale). `npm test` runs both;
// `npm run test:unit` / `npm run test:integration` run one.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // At least two test files at a time (vitest's default is cores - 1, so a 2-core machine
    // ran the whole suite one file after another). Most integration time is waiting, not
    // CPU: round deadlines waited out on purpose, daemons starting, sites reconnecting. Their
    // deadlines (at least 6 s for a healthy site's round, 60 s where a round must not close
    // early) leave room for a second file on the same cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'common/**/*.test.ts',
            'coordinator/**/*.test.ts',
            'client-node/**/*.test.ts',
            'cli/**/*.test.ts',
            'experiments/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/build-dist.ts'],
        },
      },
    ],
  },
});
