export * from './frame-splitter.js';
export * from './frame-clock.js';
export * from './time-source.js';
export * from './pcm.js';
export * from './resampler.js';
export * from './tone.js';
export * from './levels.js';
export * from './wav.js';
