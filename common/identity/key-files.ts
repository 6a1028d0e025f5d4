import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import {
  BOX_SECRET_KEY_BYTES,
  boxPublicKeyOf,
  fromHex,
  SIGNING_SECRET_KEY_BYTES,
  SIGNING_SEED_BYTES,
  signingKeyPairFromSeed,
  toHex,
} from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { zodProblems } from '../validation/zod-problems.js';

/*
 * Identity files on disk. Private key material is created owner-only (0600, in 0700
 * directories) from the first byte on: the file is opened with O_CREAT|O_EXCL and mode
 * 0600, written, synced and only then linked or renamed into place, so a crash leaves no
 * half-written key and no moment where another user could read it. Readers refuse a key
 * file that group or others can access, the way ssh refuses an unprotected identity file.
 */

const PRIVATE_FILE_MODE = 0o600;
const PUBLIC_FILE_MODE = 0o644;
const PRIVATE_DIR_MODE = 0o700;
const GROUP_OR_OTHER_BITS = 0o077;

export interface WriteFileOptions {
  /** Replace an existing file (atomically). Default false: an existing file is `already_exists`. */
  readonly overwrite?: boolean;
}

/** Creates `dir` (and missing parents) as 0700; tightens `dir` itself to 0700 if it already existed. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

async function writeFileWithMode(
  path: string,
  contents: string,
  mode: number,
  options: WriteFileOptions,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.chmod(mode); // the umask may only have removed bits; make the mode exact
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.overwrite) {
      await rename(tmp, path);
    } else {
      await link(tmp, path); // fails with EEXIST instead of clobbering an existing key
      await unlink(tmp);
    }
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new HeflError('already_exists', `${path} already exists; refusing to overwrite it`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Writes private key material (PEM or JSON) owner-only: file 0600, its directory 0700. */
export async function writePrivateKeyFile(
  path: string,
  contents: string,
  options: WriteFileOptions = {},
): Promise<void> {
  await ensurePrivateDirectory(dirname(path));
  await writeFileWithMode(path, contents, PRIVATE_FILE_MODE, options);
}

/** Writes a public file (certificate, manifest, enrolment request) as 0644, atomically. */
export async function writePublicFile(
  path: string,
  contents: string,
  options: WriteFileOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileWithMode(path, contents, PUBLIC_FILE_MODE, options);
}

/**
 * Reads a private key file, refusing (`permission_denied`) one that group or others can
 * access, with the command that fixes it. The mode is checked on the open descriptor, so
 * the file checked is the file read. A missing file is `not_found`.
 */
export async function readPrivateKeyFile(path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HeflError('not_found', `key file ${path} does not exist`, { cause: error });
    }
    throw new HeflError('invalid_argument', `cannot read key file ${path}`, { cause: error });
  }
  try {
    const { mode } = await handle.stat();
    if (process.platform !== 'win32' && (mode & GROUP_OR_OTHER_BITS) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(3, '0');
      throw new HeflError(
        'permission_denied',
        `key file ${path} is accessible by group or others (mode ${octal}); run: chmod 600 ${path}`,
      );
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Which kind of nacl key pair a JSON key file holds. */
export type KeyPairKind = 'ed25519' | 'x25519';

export interface StoredKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

const keyPairFileSchema = z.strictObject({
  kind: z.enum(['ed25519', 'x25519']),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex characters'),
  secretKey: z.string().regex(/^(?:[0-9a-f]{64}|[0-9a-f]{128})$/, 'expected 64 or 128 hex characters'),
});

/** Writes an Ed25519 (signing) or X25519 (sealing) key pair as JSON with hex fields, 0600. */
export async function writeKeyPairFile(
  path: string,
  kind: KeyPairKind,
  pair: StoredKeyPair,
  options: WriteFileOptions = {},
): Promise<void> {
  const body = { kind, publicKey: toHex(pair.publicKey), secretKey: toHex(pair.secretKey) };
  await writePrivateKeyFile(path, `${JSON.stringify(body, null, 2)}\n`, options);
}

/**
 * Reads a JSON key pair written by `writeKeyPairFile`, with the same mode check, and checks
 * that the public key really belongs to the secret key (`integrity` otherwise).
 */
export async function readKeyPairFile(path: string, kind: KeyPairKind): Promise<StoredKeyPair> {
  const text = await readPrivateKeyFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HeflError('invalid_config', `key file ${path} is not valid JSON`, { cause: error });
  }
  const parsed = keyPairFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error);
    throw new HeflError('invalid_config', `key file ${path}: ${problems.join('; ')}`);
  }
  if (parsed.data.kind !== kind) {
    throw new HeflError(
      'invalid_config',
      `key file ${path} holds an ${parsed.data.kind} key, expected ${kind}`,
    );
  }
  const secretKey = fromHex(parsed.data.secretKey);
  const publicKey = fromHex(parsed.data.publicKey);
  const derived =
    kind === 'ed25519'
      ? secretKey.byteLength === SIGNING_SECRET_KEY_BYTES &&
        toHex(secretKey.subarray(SIGNING_SEED_BYTES)) === parsed.data.publicKey
        ? signingKeyPairFromSeed(secretKey.subarray(0, SIGNING_SEED_BYTES)).publicKey
        : undefined
      : secretKey.byteLength === BOX_SECRET_KEY_BYTES
        ? boxPublicKeyOf(secretKey)
        : undefined;
  if (derived === undefined || toHex(derived) !== parsed.data.publicKey) {
    throw new HeflError('integrity', `key file ${path}: public key does not match the secret key`);
  }
  return { publicKey, secretKey };
}
