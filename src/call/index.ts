export * from './call-session.js';
export * from './call-registry.js';
export * from './logger.js';
