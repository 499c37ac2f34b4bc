/** `voicesocket/agents`: voice agents on a call, on any provider (docs/agents.md). */
export { startVoiceAgent, AgentBridge, toolDeclaration, type StartVoiceAgentOptions } from './agent-bridge.js';
export type {
  AgentLink,
  AgentLinkContext,
  AgentLinkEvents,
  AgentProvider,
  AgentTool,
  HeardCut,
  LinkProvider,
  SessionProvider,
  ToolDeclaration,
  VoiceAgent,
} from './agent-link.js';
export { openaiProvider, type OpenAIRealtimeOptions } from './providers/openai.js';
export { geminiProvider, DEFAULT_GEMINI_MODEL, type GeminiOptions } from './providers/gemini.js';
export { elevenLabsProvider, type ElevenLabsAgentOptions } from './providers/elevenlabs.js';
export { deepgramAgentProvider, type DeepgramAgentOptions } from './providers/deepgram-agent.js';
export { cascadeProvider, type CascadeOptions } from './providers/cascade.js';
export { heardWords, heardOfSpans, type SpokenSpan } from './heard-text.js';
export {
  VonageRealtimeTransportLayer,
  MODEL_RATE,
  DEFAULT_FAILURE_MESSAGE,
  DEFAULT_ERROR_MESSAGE,
  type VonageRealtimeTransportOptions,
  type AgentBargeIn,
  type Interruption,
} from './vonage-realtime-transport.js';
export { startAgent, DEFAULT_REALTIME_MODEL, OPENAI_REALTIME_URL, type StartAgentOptions, type AgentOnCall } from './start-agent.js';
export { phoneTools, defineTool, type PhoneToolsOptions } from './call-tools.js';
export { ToolRefusal, MAX_TOOL_CALLS_PER_TURN, MAX_TOOLS_RUNNING } from './tool-runner.js';
export { TokenCachingAuth } from './vonage-auth.js';
export { DestinationTable, type NamedDestination, type Endpoint } from '../telephony/destinations.js';
export { callTools, realtimeTool } from './realtime-tools.js';
export { TurnLog } from './turn-log.js';
export type { AgentTurnSnapshot } from '../call/call-snapshot.js';
