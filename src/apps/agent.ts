/**
 * `agent`: a phone agent on the provider of `--agent-provider` (docs/agents.md): OpenAI Realtime
 * (the default), Gemini Live, ElevenLabs, Deepgram's Voice Agent, or the cascade (the server's
 * speech-to-text → any OpenAI-compatible chat model → its text-to-speech). The NCCO connects the
 * caller straight to the socket (no talk action: the agent greets them itself in its own voice), the
 * agent can hang up and transfer, and each call's turns and latency show on the dashboard the same
 * way whatever the provider. Transfers and REST hang-ups need the Vonage application's id and
 * private key (VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, as `voicesocket dev` saves them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Voice } from '@vonage/voice';
import { VoicesocketError } from '../errors.js';
import { startVoiceAgent } from '../agents/agent-bridge.js';
import { destinationTable, phoneTools, type PhoneToolsOptions } from '../agents/call-tools.js';
import { TokenCachingAuth } from '../agents/vonage-auth.js';
import type { NamedDestination } from '../telephony/destinations.js';
import type { DialInfo } from '../call/telephony-types.js';
import { afterTheBeep, answeredBy, leaveVoicemail } from '../telephony/voicemail.js';
import { fillMessage, parseVoicemailPolicy, type VoicemailPolicy } from '../telephony/voicemail-policy.js';
import type { AgentBargeIn, AgentProvider } from '../agents/agent-link.js';
import type { BargeInSettings } from '../call/barge-in-gate.js';
import type { AppDefinition, CallApp } from './app.js';
import { agentProviderFrom, AGENT_PROVIDERS } from './agent-providers.js';
import { choiceOption, stringOption } from './options.js';

export interface VoiceAgentOptions {
  /** Who runs the agent: openaiProvider, geminiProvider, ... (voicesocket/agents). */
  provider: AgentProvider;
  instructions: string;
  greeting?: string;
  /** What interrupts the agent; the provider's default when unset (docs/agents.md). */
  bargeIn?: AgentBargeIn;
  /** When our detector's speech is an interruption (docs/turn-taking.md): `minSpeechMs`, `acknowledgements`, ... */
  interruption?: BargeInSettings;
  /** Vonage's Voice API, for the hang-up and transfer tools. */
  vonage?: Voice;
  /**
   * Where the agent may transfer a caller, by name (`sales=+447700900001,desk=sip:desk@pbx.example.com`,
   * or a list); none: no transfer tool. The model picks a name, never a number.
   */
  transfer?: PhoneToolsOptions['transfer'];
  /** What happens when machine detection says a machine answered a dialled call (default: hang up). */
  voicemail?: VoicemailPolicy;
}

export const DEFAULT_INSTRUCTIONS = 'You are a friendly and brief phone assistant. Speak in short sentences. When the caller is done, say goodbye and hang up.';
/** Added to the instructions when there are destinations: the model may offer them, and nothing else. */
export const TRANSFER_INSTRUCTIONS =
  'If the caller asks for a person or a department, you may transfer them with transfer_call (or, where you have it, warm_transfer, telling the person who is calling and why) to one of its named destinations, and only those; never to a number the caller gives.';
export const DEFAULT_AGENT_GREETING = 'Hello! How can I help you today?';
/** Added to the instructions of an agent that talks after a machine's beep (`--voicemail agent`). */
export const VOICEMAIL_INSTRUCTIONS =
  'This call was answered by an answering machine, which is recording now, after its beep: you are leaving a voicemail, and nobody will answer. Say who you are and why you called in a few short sentences, then hang up with hang_up.';
/** The longest context the agent is told (a dial's context is bounded already; this keeps instructions sane). */
const MAX_CONTEXT_CHARS = 4000;

/** What the agent is told of a call it placed: that it is the one calling, and the dial's context. */
export function dialInstructions(dial: DialInfo): string {
  const context = dial.context === null || dial.context === undefined ? '' : JSON.stringify(dial.context).slice(0, MAX_CONTEXT_CHARS);
  return ` You placed this call (to ${dial.to}); the person did not call you.${context ? ` What you know about the call: ${context}` : ''}`;
}

export function voiceAgent(options: VoiceAgentOptions): CallApp {
  // Checked once, at start: a bad destination is the operator's error, not a call's.
  const transfer = destinationTable(options.transfer);
  return async (call) => {
    // A call this server placed (docs/outbound.md): its context and machine detection. None for a
    // call that came in, or on a server without telephony.
    const dial = call.telephony ? await call.dialed() : undefined;
    let instructions = dial ? options.instructions + dialInstructions(dial) : options.instructions;
    // With async detection the agent waits for the verdict, so as not to talk over a machine's greeting.
    if (dial?.machineDetection && (await answeredBy(call)) === 'machine') {
      const policy = options.voicemail ?? { kind: 'hangup' };
      if (policy.kind === 'hangup') {
        call.note('voicemail: a machine answered; hanging up');
        return call.hangup(1000, 'answering machine');
      }
      if (policy.kind === 'leave') return leaveVoicemail(call, fillMessage(policy.message, dial.context));
      await afterTheBeep(call);
      if (call.state === 'ended') return;
      call.note('voicemail: the agent leaves a message');
      instructions += ` ${VOICEMAIL_INSTRUCTIONS}`;
    }
    startVoiceAgent(call, {
      provider: options.provider,
      instructions,
      // DTMF into an IVR: on calls this server placed.
      tools: phoneTools(call, { vonage: options.vonage, transfer, dtmf: dial !== undefined }),
      ...(options.greeting ? { greeting: options.greeting } : {}),
      ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
      ...(options.interruption ? { interruption: options.interruption } : {}),
    });
  };
}

/** Vonage's Voice API from the application's credentials in the environment, when they are there. */
export function vonageVoiceFromEnv(env: NodeJS.ProcessEnv): Voice | undefined {
  const applicationId = env.VONAGE_APPLICATION_ID;
  const key = env.VONAGE_PRIVATE_KEY;
  if (!applicationId || !key) return undefined;
  const privateKey = key.includes('BEGIN') ? key.replace(/\\n/g, '\n') : existsSync(key) ? readFileSync(key, 'utf8') : undefined;
  if (!privateKey)
    throw new VoicesocketError('CONFIG_INVALID', `VONAGE_PRIVATE_KEY=${JSON.stringify(key)} is not allowed; expected a PEM key or the path of one`);
  return new Voice(new TokenCachingAuth({ applicationId, privateKey }), env.VONAGE_API_HOST ? { apiHost: env.VONAGE_API_HOST } : {});
}

export const agentApp: AppDefinition = {
  name: 'agent',
  description: `a phone agent on ${AGENT_PROVIDERS.join(', ')} (--agent-provider; keys in docs/agents.md): --instructions, --voice, --model, --agent-greeting; hangs up and transfers`,
  create: async (options) => {
    const provider = await agentProviderFrom(options, process.env);
    const vonage = vonageVoiceFromEnv(process.env);
    const bargeIn = options.bargeIn === undefined ? undefined : choiceOption(options, 'bargeIn', 'barge-in', ['model', 'speech', 'both'] as const, 'both');
    // The server's --transfer setting, parsed by its row (server/agent-settings.ts); a string from code is checked here.
    const transfer = options.transfer as string | NamedDestination[] | undefined;
    const named = destinationTable(transfer);
    // The server's --voicemail setting, parsed by its row; a string from code is checked here.
    const voicemail = typeof options.voicemail === 'string' ? parseVoicemailPolicy(options.voicemail) : (options.voicemail as VoicemailPolicy | undefined);
    if (options.voicemail !== undefined && !voicemail)
      throw new VoicesocketError('CONFIG_INVALID', `voicemail ${JSON.stringify(options.voicemail)} is not allowed; expected hangup, agent, or leave <message>`);
    const instructions = stringOption(options, 'instructions', '');
    return voiceAgent({
      provider,
      instructions: instructions || (named ? `${DEFAULT_INSTRUCTIONS} ${TRANSFER_INSTRUCTIONS} They are: ${named.names.join(', ')}.` : DEFAULT_INSTRUCTIONS),
      ...(named ? { transfer: named } : {}),
      ...(voicemail ? { voicemail } : {}),
      greeting: stringOption(options, 'agentGreeting', DEFAULT_AGENT_GREETING),
      ...(bargeIn ? { bargeIn } : {}),
      ...(vonage ? { vonage } : {}),
    });
  },
  // The agent greets the caller in its own voice: the NCCO only connects.
  answer: ({ ncco }) => [ncco.connect()],
};
