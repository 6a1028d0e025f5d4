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
