export * from './audio-format.js';
export * from './socket-messages.js';
export * from './ncco.js';
export * from './webhooks.js';
export * from './lenient.js';
export * from './signed-webhook.js';
export * from './close-codes.js';
