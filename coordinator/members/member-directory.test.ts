import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../common/crypto/index.js';
import { MemoryAuditSink } from '../storage/audit-sink.js';
import { RequestGuard } from '../transport/request-guard.js';
import { type Member, StaticMemberDirectory } from './member-directory.js';

const researcher: Member = {
  id: 'researcher-1',
  role: 'researcher',
  signingPublicKey: generateSigningKeyPair().publicKey,
  sealingPublicKey: generateBoxKeyPair().publicKey,
  revoked: false,
};

/** A call on a plaintext transport: no TLS client certificate at all. */
const callWithoutCertificate = { getAuthContext: () => ({}) };

describe('StaticMemberDirectory', () => {
  it('requires an admitted TLS client certificate unless told otherwise', () => {
    const directory = new StaticMemberDirectory([researcher]);
    const guard = new RequestGuard(directory, new MemoryAuditSink());

    expect(directory.requiresPeerCertificate).toBe(true);
    expect(() => guard.requirePeer(callWithoutCertificate, ['researcher'], 'job-status')).toThrow(
      'no TLS client certificate',
    );
  });

  it('admits calls without a certificate only when a test asks for it by name', () => {
    const directory = new StaticMemberDirectory([researcher], { withoutPeerCertificates: true });
    const guard = new RequestGuard(directory, new MemoryAuditSink());

    expect(directory.requiresPeerCertificate).toBe(false);
    expect(guard.requirePeer(callWithoutCertificate, ['researcher'], 'job-status')).toBeUndefined();
  });
});
