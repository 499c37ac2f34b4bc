export * from './server.js';
export * from './config.js';
export * from './settings.js';
export * from './answer-ncco.js';
export * from './socket-url.js';
export * from './load-app.js';
export * from './limits.js';
