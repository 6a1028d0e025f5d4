import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_LOCK_FILE, withManifestLock } from './manifest-lock.js';

const RACER = 'test/support/fixtures/manifest-lock-racer.ts';

describe('withManifestLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A read-modify-write of a member list, slow enough that two unlocked ones would interleave. */
  async function addMember(id: string): Promise<void> {
    const path = join(dir, 'members.json');
    const members = existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as string[]) : [];
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(path, JSON.stringify([...members, id]));
  }

  it('serialises concurrent changes, so none is lost, and releases the lock', async () => {
    await Promise.all(['a', 'b', 'c'].map((id) => withManifestLock(dir, () => addMember(id))));
    const members = JSON.parse(await readFile(join(dir, 'members.json'), 'utf8')) as string[];
    expect(members.sort()).toEqual(['a', 'b', 'c']);
    expect(existsSync(join(dir, MANIFEST_LOCK_FILE))).toBe(false);
  });

  it('the unlocked version really does lose a change (the test above would catch a missing lock)', async () => {
    await Promise.all(['a', 'b'].map((id) => addMember(id)));
    const members = JSON.parse(await readFile(join(dir, 'members.json'), 'utf8')) as string[];
    expect(members.length).toBe(1);
  });

  it('releases the lock when the change fails', async () => {
    await expect(withManifestLock(dir, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(join(dir, MANIFEST_LOCK_FILE))).toBe(false);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    await writeFile(join(dir, MANIFEST_LOCK_FILE), JSON.stringify({ pid: dead.pid, since: 'earlier' }));
    await expect(withManifestLock(dir, async () => 'done', { waitMs: 500 })).resolves.toBe('done');
  });

  it('of 6 processes that find the same stale lock at once, exactly one holds it at a time', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    await writeFile(join(dir, MANIFEST_LOCK_FILE), JSON.stringify({ pid: dead.pid, since: 'earlier' }));
    const goFile = join(dir, 'go');
    const logFile = join(dir, 'holders.log');
    const racers = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['--import', 'tsx', RACER, dir, goFile, logFile], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const exits = racers.map(
      (child) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
    );
    await Promise.all(
      racers.map((child) => new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))),
    );
    await writeFile(goFile, '');
    expect(await Promise.all(exits)).toEqual(racers.map(() => 0));
    const events = (await readFile(logFile, 'utf8')).trim().split('\n');
    let holding = 0;
    let most = 0;
    for (const event of events) {
      holding += event.startsWith('enter') ? 1 : -1;
      most = Math.max(most, holding);
    }
    expect(events.filter((e) => e.startsWith('enter'))).toHaveLength(6);
    expect(most, 'processes holding the lock at the same time').toBe(1);
  }, 60_000);

  it('waits for a live holder, then gives up with an error naming it', async () => {
    const goFile = join(dir, 'go');
    const logFile = join(dir, 'holders.log');
    await writeFile(goFile, '');
    const holder = spawn(process.execPath, ['--import', 'tsx', RACER, dir, goFile, logFile, '20000'], {
      stdio: 'ignore',
    });
    try {
      while (!existsSync(logFile)) await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(withManifestLock(dir, async () => 'never', { waitMs: 300 })).rejects.toThrow(
        new RegExp(`another hefl command \\(pid ${holder.pid}, since [^)]+\\) is changing the manifest`),
      );
      expect(existsSync(join(dir, MANIFEST_LOCK_FILE)), 'a live holder’s lock is left alone').toBe(true);
    } finally {
      holder.kill();
    }
  });
});
