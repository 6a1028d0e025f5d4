import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromGrpcError } from '../../cli/job/researcher-session.js';
import { ERROR_CODES, type ErrorCode, errorCodeForGrpcStatus } from './error-code.js';
import { HeflError } from './hefl-error.js';

describe('one table from gRPC status back to ErrorCode', () => {
  it('every status hefl sends maps back to a code with that status (named alike where one is)', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const back = errorCodeForGrpcStatus(ERROR_CODES[code].grpcStatus);
      expect(ERROR_CODES[back].grpcStatus).toBe(ERROR_CODES[code].grpcStatus);
    }
    expect(errorCodeForGrpcStatus(status.ALREADY_EXISTS)).toBe('already_exists');
    expect(errorCodeForGrpcStatus(status.INVALID_ARGUMENT)).toBe('invalid_argument');
    expect(errorCodeForGrpcStatus(status.DATA_LOSS)).toBe('integrity');
    expect(errorCodeForGrpcStatus(status.ABORTED)).toBe('internal');
  });

  it('a researcher told RESOURCE_EXHAUSTED or DATA_LOSS gets that code (and its exit code), not internal', () => {
    const limited = fromGrpcError(
      { code: status.RESOURCE_EXHAUSTED, details: 'too many jobs' },
      'submit',
      'c:1',
    );
    expect(HeflError.is(limited) && limited.code).toBe('resource_exhausted');
    const lost = fromGrpcError({ code: status.DATA_LOSS, details: 'log' }, 'status', 'c:1');
    expect(HeflError.is(lost) && lost.code).toBe('integrity');
    const down = fromGrpcError({ code: status.UNAVAILABLE, details: 'no route' }, 'status', 'c:1');
    expect(HeflError.is(down) && ERROR_CODES[down.code].exitCode).toBe(3);
  });
});
