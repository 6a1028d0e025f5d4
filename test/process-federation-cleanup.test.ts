import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcessFederation } from './support/process-federation.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** The live processes whose command line mentions `text` (Linux /proc): pid and command line. */
function processesMentioning(text: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${entry}/stat`, 'utf8'))?.[1];
      if (cmdline.includes(text) && state !== 'Z')
        found.push({ pid: Number(entry), cmdline: cmdline.replaceAll('\0', ' ').slice(0, 200) });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

// A test whose federation fails to start gets no federation object to stop: the harness
// itself must stop the daemons it did start, or they outlive the test and load the machine
// for every test after it (seen: a coordinator left running for minutes).
describe.runIf(process.platform === 'linux')(
  'the process-federation harness when a site fails to start',
  () => {
    const root = mkdtempSync(join(tmpdir(), 'hefl-harness-cleanup-'));
    afterAll(() => {
      for (const { pid } of processesMentioning(root)) process.kill(pid, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    });

    it('rejects with the reason and leaves no daemon of that federation running', async () => {
      const started = startProcessFederation(root, ['hospital-a'], {
        cli: CLI,
        siteEntry: ['-e', 'process.exit(3)'],
      });

      await expect(started).rejects.toThrow(/hospital-a exited \(code 3\) before start-up/);
      // /proc may list a process for a moment after its exit was reported; a leaked daemon
      // stays for good.
      let left = processesMentioning(root);
      for (const until = Date.now() + 5_000; left.length > 0 && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 100));
        left = processesMentioning(root);
      }
      expect(left).toEqual([]);
    }, 90_000);
  },
);
