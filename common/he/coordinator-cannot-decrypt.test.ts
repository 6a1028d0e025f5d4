import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CiphertextAdder } from './ciphertext-adder.js';
import { HeContext } from './he-context.js';
import { getProfile } from './he-profile.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Names that only exist to decrypt or to make/hold HE secret keys (SEAL's classes, the
 * site cipher). The coordinator's Ed25519 signing key (`signingKey.secretKey`) is fine.
 */
const KEY_APIS =
  /\b(Decryptor|KeyGenerator|SecretKey|decrypt\w*|SiteCipher|SiteVectorCipher|generateSiteCipher|siteCipherFromKey)\b/;

describe('the coordinator has no path to decryption', () => {
  it('the adder exposes no decrypt and holds no key', async () => {
    const adder = await CiphertextAdder.create(getProfile('bgv-n2048-q54-t38/v1'));
    const methods = [
      ...Object.getOwnPropertyNames(CiphertextAdder.prototype),
      ...Object.getOwnPropertyNames(HeContext.prototype),
      ...Object.keys(adder),
    ];
    expect(methods.filter((m) => /decrypt|secret|key/i.test(m))).toEqual([]);
    adder.delete();
  });

  it('neither the coordinator nor the HE code it uses mentions a decryptor or a secret key', () => {
    const coordinatorSide = [
      ...sourceFiles(join(ROOT, 'coordinator')),
      join(ROOT, 'common/he/ciphertext-adder.ts'),
      join(ROOT, 'common/he/he-context.ts'),
      join(ROOT, 'common/he/seal-frame.ts'),
      join(ROOT, 'common/he/coefficient-packer.ts'),
    ];
    const offenders = coordinatorSide.filter((file) => {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      return KEY_APIS.test(code) || /site-cipher|create-cipher|client-node\//.test(code);
    });
    expect(offenders).toEqual([]);
  });
});
