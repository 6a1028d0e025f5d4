import { describe, expect, it } from 'vitest';
import { runSimulation } from '../cli/simulate/run-simulation.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

// Separate processes need the built CLI; `npm test` builds first.
describe('a site process that disappears mid-round (SIGKILL)', () => {
  it('lets rounds close with the remaining sites when at least minSites remain, and says why', async () => {
    let killed = '';
    const result = await runSimulation({
      sites: 3,
      rounds: 3,
      model: { kind: 'logreg' },
      strategy: 'fedavg',
      he: true,
      seed: 3,
      minSites: 2,
      roundDeadlineSeconds: 5,
      local: { epochs: 1, learningRate: 0.1, batchSize: 32 },
      timeoutSeconds: 150,
      onProgress: () => {},
      cliEntry: CLI,
      onRoundOpen: async (round, sites) => {
        if (round !== 2) return;
        const [id, process] = [...sites.processes].at(-1)!;
        killed = id;
        await process.kill();
      },
    });

    expect(result.state).toBe('completed');
    expect(killed).not.toBe('');
    const firstAbsence = result.rounds.find((r) => r.absent.some((a) => a.siteId === killed));
    expect(firstAbsence, 'the killed site is reported absent with a reason').toBeDefined();
    expect(firstAbsence!.absent.find((a) => a.siteId === killed)!.reason).toMatch(/deadline/);
    const later = result.rounds.filter((r) => r.round > firstAbsence!.round);
    for (const r of [firstAbsence!, ...later]) {
      if (r.round > firstAbsence!.round || !firstAbsence!.absent[0]!.reason.includes('report')) {
        expect(r.participants).not.toContain(killed);
      }
    }
    expect(result.rounds.at(-1)!.participants).toHaveLength(2);
    expect(result.final?.accuracy).toBeGreaterThan(0.5);
  }, 180_000);
});
