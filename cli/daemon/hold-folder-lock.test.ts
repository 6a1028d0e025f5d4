import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_PID_FILE, holdFolderLock } from './hold-folder-lock.js';

const DRIVER = 'test/support/fixtures/lock-holder.ts';

function startHolder(dir: string, holdMs: number): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, dir, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => resolve(out.trim()));
    child.on('error', reject);
  });
  return { child, line };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve()),
  );

describe('holdFolderLock', () => {
  it('refuses a second holder in this process, naming the pid, and frees the folder on release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hefl-lock-'));
    const lock = holdFolderLock(dir);
    expect(() => holdFolderLock(dir)).toThrow(`already running as pid ${process.pid}`);
    lock.release();
    holdFolderLock(dir).release();
  });

  it('a lock left by a SIGKILLed daemon (and its leftover pid file) is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hefl-lock-'));
    const holder = startHolder(dir, 60_000);
    expect(await holder.line).toBe(`locked ${holder.child.pid}`);
    const second = startHolder(dir, 0);
    expect(await second.line).toContain(`already running as pid ${holder.child.pid}`);
    holder.child.kill('SIGKILL');
    await exited(holder.child);
    // The dead daemon's pid file is still there; the lock is free all the same.
    const lock = holdFolderLock(dir);
    lock.release();
  }, 30_000);

  it('of many processes racing for a stale lock, exactly one wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hefl-lock-'));
    // A stale pid file of a process that is gone, as a crash leaves it.
    writeFileSync(join(dir, DAEMON_PID_FILE), '999999\n');
    const racers = Array.from({ length: 6 }, () => startHolder(dir, 8_000));
    const lines = await Promise.all(racers.map((r) => r.line));
    const winners = lines.filter((l) => l.startsWith('locked'));
    expect(winners).toHaveLength(1);
    const winnerPid = (winners[0] as string).split(' ')[1];
    for (const l of lines.filter((x) => !x.startsWith('locked'))) {
      expect(l).toContain(`already running as pid ${winnerPid}`);
    }
    for (const r of racers) r.child.kill('SIGKILL');
    await Promise.all(racers.map((r) => exited(r.child)));
  }, 45_000);
});
