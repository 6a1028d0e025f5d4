import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../common/crypto/index.js';
import type { Member } from '../members/member-directory.js';
import { MemoryAuditSink } from './audit-sink.js';
import { FederationChangeRecorder } from './federation-change-recorder.js';

function member(id: string, revoked = false): Member {
  return {
    id,
    role: 'site',
    signingPublicKey: generateSigningKeyPair().publicKey,
    sealingPublicKey: generateBoxKeyPair().publicKey,
    revoked,
  };
}

describe('FederationChangeRecorder', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('logs each admission and revocation once, across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hefl-fed-changes-'));
    dirs.push(dir);
    const audit = new MemoryAuditSink();
    const a = member('site-a');
    const b = member('site-b');

    new FederationChangeRecorder(dir, audit).record([a]);
    new FederationChangeRecorder(dir, audit).record([a, b]); // a restart after an offline admit
    new FederationChangeRecorder(dir, audit).record([{ ...a, revoked: true }, b]);
    new FederationChangeRecorder(dir, audit).record([{ ...a, revoked: true }, b]); // nothing new

    expect(audit.entries.map((e) => `${e.action} ${e.details.member}`)).toEqual([
      'federation.admit site-a',
      'federation.admit site-b',
      'federation.revoke site-a',
    ]);
  });
});
