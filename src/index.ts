export * from './server/index.js';
export * from './call/index.js';
export * from './apps/index.js';
export * as protocol from './protocol/index.js';
export { VoicesocketError, ERRORS, type ErrorCode } from './errors.js';
export * from './telephony/index.js';
