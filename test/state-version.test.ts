import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProvisionedFederation, provisionFederation } from '../cli/simulate/provision-federation.js';
import { startSite } from '../client-node/start-site.js';
import { STATE_VERSION, STATE_VERSION_FILE } from '../common/state/state-version.js';

/*
 * Issue 17: "a documented state/protocol version and refusal of a newer state by an older
 * binary". A folder whose hefl-state.json names a newer version than this build's is
 * refused before anything in it is read: the built CLI's coordinator exits 2 with the
 * message; a site node refuses the same way.
 */

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const NEWER = STATE_VERSION + 1;
const expected = (dir: string) =>
  `${dir}: this folder was written by hefl state version ${NEWER}; this hefl understands up to ${STATE_VERSION}; upgrade hefl`;

function hefl(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe('a folder written by a newer hefl', () => {
  let root: string;
  let fed: ProvisionedFederation;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hefl-newer-state-'));
    fed = await provisionFederation(root, ['site-a']);
    for (const dir of [fed.coordinatorDir, fed.siteDirs[0]!.dir]) {
      writeFileSync(join(dir, STATE_VERSION_FILE), `{"stateVersion":${NEWER}}\n`);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is refused by hefl coordinator start with exit code 2 and the versions', async () => {
    const { code, stderr } = await hefl('coordinator', 'start', '--dir', fed.coordinatorDir, '--port', '0');

    expect({ code, stderr: stderr.trim() }).toEqual({
      code: 2,
      stderr: `hefl: ${expected(fed.coordinatorDir)}`,
    });
  }, 30_000);

  it('is refused by a site node before it reads its keys', async () => {
    const dir = fed.siteDirs[0]!.dir;
    await expect(
      startSite({
        dir,
        coordinator: '127.0.0.1:1',
        data: { kind: 'csv', path: join(root, 'absent.csv') } as never,
        log: () => {},
      }),
    ).rejects.toThrow(expected(dir));
  }, 30_000);
});
