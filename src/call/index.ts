export * from './call-session.js';
export * from './call-registry.js';
export * from './logger.js';
export * from './call-snapshot.js';
export * from './call-control.js';
