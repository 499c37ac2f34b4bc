/** `voicesocket/agents`: voice agents on a call with OpenAI's Agents SDK (docs/agents.md). */
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
export { callTools } from './call-tools.js';
export { TurnLog } from './turn-log.js';
export type { AgentTurnSnapshot } from '../call/call-snapshot.js';
