export * from './speech-events.js';
export * from './transcriber.js';
export * from './synthesizer.js';
export { sentimentOf, type SentimentScore } from './sentiment.js';
export { VoiceActivity, levelDb, type VoiceActivityOptions, type VoiceActivityChange } from './voice-activity.js';
export { createWebRtcVad, type FrameClassifier, type VadMode } from './webrtc-vad.js';
export { pocketsphinxTranscriber, POCKETSPHINX_PACKAGES, type PocketSphinxOptions } from './pocketsphinx.js';
export { espeakSynthesizer } from './espeak.js';
export { speechEngines, type SpeechEngines, type SpeechEngineSettings } from './engines.js';
