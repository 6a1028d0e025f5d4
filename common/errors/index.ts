export { ERROR_CODES, type ErrorCode, errorCodeForGrpcStatus } from './error-code.js';
export { HeflError } from './hefl-error.js';
