import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifyConnectionFailure } from './connection-failure.js';

const grpcError = (code: status, details: string) =>
  Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details });

describe('classifyConnectionFailure', () => {
  it('revoked, not admitted, wrong protocol and an unpinned certificate are permanent, in plain words', () => {
    const revoked = classifyConnectionFailure(
      grpcError(status.PERMISSION_DENIED, 'permission denied: member is revoked'),
    );
    expect(revoked).toMatchObject({ permanent: true, reason: expect.stringContaining('revoked') });
    expect(
      classifyConnectionFailure(grpcError(status.UNAUTHENTICATED, 'TLS certificate is not admitted'))
        .permanent,
    ).toBe(true);
    const wrongPort = classifyConnectionFailure(
      grpcError(
        status.UNAVAILABLE,
        'No connection established. Last error: ssl3_get_record:wrong version number:../deps/openssl/x',
      ),
    );
    expect(wrongPort).toMatchObject({ permanent: true, reason: expect.stringContaining('wrong port') });
    expect(JSON.stringify(wrongPort)).not.toContain('openssl');
    const otherCa = classifyConnectionFailure(
      grpcError(status.UNAVAILABLE, 'self-signed certificate in certificate chain'),
    );
    expect(otherCa).toMatchObject({ permanent: true, reason: expect.stringContaining('pinned') });
  });

  it('a coordinator that is down or restarting is transient', () => {
    expect(
      classifyConnectionFailure(grpcError(status.UNAVAILABLE, 'connect ECONNREFUSED 127.0.0.1:7443'))
        .permanent,
    ).toBe(false);
    expect(classifyConnectionFailure(grpcError(status.CANCELLED, 'Call cancelled')).permanent).toBe(false);
    expect(classifyConnectionFailure(undefined).permanent).toBe(false);
  });
});
