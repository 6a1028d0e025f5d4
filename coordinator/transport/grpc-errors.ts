import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ERROR_CODES, HeflError } from '../../common/errors/index.js';

/**
 * Turns any failure into a gRPC error a peer may see: the code's public message plus a
 * detail the thrower marked safe. Internal messages, causes and stacks stay here.
 */
export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof HeflError) {
    const info = ERROR_CODES[error.code];
    const details = error.publicDetail ? `${info.publicMessage}: ${error.publicDetail}` : info.publicMessage;
    return { code: info.grpcStatus, details, metadata: new Metadata() };
  }
  return { code: status.INTERNAL, details: ERROR_CODES.internal.publicMessage, metadata: new Metadata() };
}
