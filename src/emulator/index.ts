export { placeCall, CallRun, WEBHOOK_TIMEOUTS, type PlaceCallOptions, type CallResult, type PostedEvent, type CallAction } from './call.js';
export { VonageEmulator, type VonageEmulatorOptions } from './vonage-emulator.js';
export { runLoad, type LoadOptions, type LoadReport } from './load.js';
export { runChecks, CHECKS, type CheckResult, type CheckOptions } from './checks.js';
export { DEFAULT_SWITCHES, type EmulatorSwitches } from './switches.js';
export type { CallerAudioSpec } from './caller-audio.js';
export type { LegResult, DtmfPress } from './websocket-leg.js';
export type { TimelineEntry } from './timeline.js';
export { frameSizeMessage } from './websocket-leg.js';
