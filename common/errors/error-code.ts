import { status } from '@grpc/grpc-js';

/**
 * Every failure hefl reports carries one of these codes. The table below is the only
 * place that decides what a peer (over gRPC) or a person (through the CLI) is told:
 * internal detail (`message`, `cause`) never leaves the process, only `publicMessage`.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'invalid_config'
  | 'invalid_data'
  | 'malformed_ciphertext'
  | 'profile_mismatch'
  | 'overflow_risk'
  | 'unauthenticated'
  | 'permission_denied'
  | 'replay'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'deadline_exceeded'
  | 'unavailable'
  | 'resource_exhausted'
  | 'integrity'
  | 'internal';

interface ErrorCodeInfo {
  /** gRPC status sent to a peer for this code. */
  readonly grpcStatus: status;
  /** What a peer is told; never includes values, keys or weights. */
  readonly publicMessage: string;
  /**
   * CLI exit code: 1 = failed (the thing checked is bad, a job failed, a log is tampered),
   * 2 = usage or unreadable input, 3 = unreachable or unavailable (try again later).
   */
  readonly exitCode: 1 | 2 | 3;
}

export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = Object.freeze({
  invalid_argument: { grpcStatus: status.INVALID_ARGUMENT, publicMessage: 'invalid argument', exitCode: 2 },
  invalid_config: {
    grpcStatus: status.INVALID_ARGUMENT,
    publicMessage: 'invalid configuration',
    exitCode: 2,
  },
  invalid_data: { grpcStatus: status.INVALID_ARGUMENT, publicMessage: 'invalid data', exitCode: 2 },
  malformed_ciphertext: {
    grpcStatus: status.INVALID_ARGUMENT,
    publicMessage: 'malformed ciphertext',
    exitCode: 1,
  },
  profile_mismatch: {
    grpcStatus: status.FAILED_PRECONDITION,
    publicMessage: 'ciphertext made under other HE parameters',
    exitCode: 1,
  },
  overflow_risk: {
    grpcStatus: status.INVALID_ARGUMENT,
    publicMessage: 'quantisation could overflow the plaintext modulus',
    exitCode: 2,
  },
  unauthenticated: { grpcStatus: status.UNAUTHENTICATED, publicMessage: 'unauthenticated', exitCode: 1 },
  permission_denied: {
    grpcStatus: status.PERMISSION_DENIED,
    publicMessage: 'permission denied',
    exitCode: 1,
  },
  replay: { grpcStatus: status.ALREADY_EXISTS, publicMessage: 'message replayed', exitCode: 1 },
  not_found: { grpcStatus: status.NOT_FOUND, publicMessage: 'not found', exitCode: 1 },
  already_exists: { grpcStatus: status.ALREADY_EXISTS, publicMessage: 'already exists', exitCode: 1 },
  failed_precondition: {
    grpcStatus: status.FAILED_PRECONDITION,
    publicMessage: 'not allowed in the current state',
    exitCode: 1,
  },
  deadline_exceeded: {
    grpcStatus: status.DEADLINE_EXCEEDED,
    publicMessage: 'deadline exceeded',
    exitCode: 1,
  },
  unavailable: { grpcStatus: status.UNAVAILABLE, publicMessage: 'service unavailable', exitCode: 3 },
  resource_exhausted: {
    grpcStatus: status.RESOURCE_EXHAUSTED,
    publicMessage: 'limit reached',
    exitCode: 1,
  },
  integrity: { grpcStatus: status.DATA_LOSS, publicMessage: 'integrity check failed', exitCode: 1 },
  internal: { grpcStatus: status.INTERNAL, publicMessage: 'internal error', exitCode: 1 },
});

/**
 * The ErrorCode a peer's gRPC status stands for, derived from the table above (the code named
 * like the status, else the first with that status); 'internal' for a status hefl never sends.
 */
export function errorCodeForGrpcStatus(grpcStatus: number): ErrorCode {
  const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
    (c) => ERROR_CODES[c].grpcStatus === grpcStatus,
  );
  const named = codes.find((c) => c.toUpperCase() === status[grpcStatus]);
  return named ?? codes[0] ?? 'internal';
}
