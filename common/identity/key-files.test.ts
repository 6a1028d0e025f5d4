import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { readKeyPairFile, readPrivateKeyFile, writeKeyPairFile, writePrivateKeyFile } from './key-files.js';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

async function caught(promise: Promise<unknown>): Promise<HeflError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HeflError);
  return error as HeflError;
}

describe('key files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes key files 0600 inside a 0700 directory and reads them back', async () => {
    const path = join(dir, 'nested', 'tls-key.pem');

    await writePrivateKeyFile(path, 'secret');

    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(join(dir, 'nested'))).toBe(0o700);
    expect(await readPrivateKeyFile(path)).toBe('secret');
  });

  it('refuses to overwrite an existing key unless asked', async () => {
    const path = join(dir, 'k.pem');
    await writePrivateKeyFile(path, 'first');

    const error = await caught(writePrivateKeyFile(path, 'second'));
    await writePrivateKeyFile(path, 'third', { overwrite: true });

    expect(error.code).toBe('already_exists');
    expect(await readPrivateKeyFile(path)).toBe('third');
    expect(await modeOf(path)).toBe(0o600);
  });

  it('refuses a key file others can read, naming the chmod that fixes it', async () => {
    const path = join(dir, 'k.pem');
    await writePrivateKeyFile(path, 'secret');
    await chmod(path, 0o644);

    const error = await caught(readPrivateKeyFile(path));

    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain(`chmod 600 ${path}`);
    expect(error.message).toContain('644');
  });

  it('refuses group-readable too, and a file created by hand with a loose mode', async () => {
    const path = join(dir, 'hand.json');
    await writeFile(path, '{}', { mode: 0o640 });
    await chmod(path, 0o640);

    const error = await caught(readPrivateKeyFile(path));

    expect(error.code).toBe('permission_denied');
  });

  it('round-trips Ed25519 and X25519 key pairs as hex JSON and detects a mismatched public key', async () => {
    const signing = generateSigningKeyPair();
    const sealing = generateBoxKeyPair();
    await writeKeyPairFile(join(dir, 's.json'), 'ed25519', signing);
    await writeKeyPairFile(join(dir, 'x.json'), 'x25519', sealing);
    await writeKeyPairFile(join(dir, 'bad.json'), 'x25519', {
      publicKey: generateBoxKeyPair().publicKey,
      secretKey: sealing.secretKey,
    });

    const readSigning = await readKeyPairFile(join(dir, 's.json'), 'ed25519');
    const readSealing = await readKeyPairFile(join(dir, 'x.json'), 'x25519');
    const wrongKind = await caught(readKeyPairFile(join(dir, 's.json'), 'x25519'));
    const mismatch = await caught(readKeyPairFile(join(dir, 'bad.json'), 'x25519'));

    expect(readSigning).toEqual({ publicKey: signing.publicKey, secretKey: signing.secretKey });
    expect(readSealing).toEqual({ publicKey: sealing.publicKey, secretKey: sealing.secretKey });
    expect(wrongKind.code).toBe('invalid_config');
    expect(mismatch.code).toBe('integrity');
  });
});
