import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_LOCK_FILE, withManifestLock } from './manifest-lock.js';

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

  it('waits for a live holder, then gives up with an error naming it', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      await writeFile(join(dir, MANIFEST_LOCK_FILE), JSON.stringify({ pid: holder.pid, since: 'now' }));
      await expect(withManifestLock(dir, async () => 'never', { waitMs: 300 })).rejects.toThrow(
        new RegExp(`another hefl command \\(pid ${holder.pid}, since now\\) is changing the manifest`),
      );
      expect(existsSync(join(dir, MANIFEST_LOCK_FILE)), 'a live holder’s lock is left alone').toBe(true);
    } finally {
      holder.kill();
    }
  });
});
