export { ERROR_CODES, type ErrorCode } from './error-code.js';
export { HeflError } from './hefl-error.js';
