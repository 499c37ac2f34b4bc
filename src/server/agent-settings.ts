/**
 * The agent app's settings (`--app agent`, docs/agents.md): who runs the agent, what it is told, and
 * each provider's endpoint and key, and where a call may be transferred (the operator's to decide, never
 * the model's: only the destinations named here can be reached; with none, the agent has no transfer tool). Rows of the one settings table like every other setting: a flag
 * and a variable, validated, in `--help`, the README and `--print-config`. A provider chosen without
 * its key stops the server at start with one line naming the variable and the flag.
 */
import { VoicesocketError } from '../errors.js';
import { AGENT_PROVIDERS } from '../apps/agent-providers.js';
import type { ServerConfig } from './config.js';
import { oneOf, setting, urlOf, WEB_PROTOCOLS, type Setting } from './setting-parsers.js';
import { DestinationTable, MAX_DESTINATIONS } from '../telephony/destinations.js';
import { MAX_VOICEMAIL_MESSAGE, parseVoicemailPolicy } from '../telephony/voicemail-policy.js';

/** An API key: 8 to 256 printable ASCII characters without spaces. */
const apiKey = (raw: string) => (/^[\x21-\x7e]{8,256}$/.test(raw) ? raw : undefined);
/** A model or voice name: one word of printable ASCII (`gpt-realtime`, `aura-2-thalia-en`, an ElevenLabs voice id). */
const name = (raw: string) => (/^[\x21-\x7e]{1,200}$/.test(raw) ? raw : undefined);
const text = (max: number) => (raw: string) => (raw.trim().length >= 1 && raw.length <= max ? raw : undefined);

/** Long instructions are fine; a file's worth pasted by mistake into a flag is not. */
const MAX_INSTRUCTIONS = 20_000;

export const AGENT_SETTINGS: Setting[] = [
  setting({
    key: 'transfer',
    env: 'TRANSFER_DESTINATIONS',
    flag: '--transfer <name=endpoint,...>',
    description: 'agent: where the agent may transfer a caller, by name (the model picks a name, never a number); none: no transfer tool',
    allowed: `up to ${MAX_DESTINATIONS} name=endpoint pairs, comma-separated: a name (a letter, then letters, digits, _ or -) and an E.164 number (+447700900001) or a SIP URI (sip:desk@pbx.example.com)`,
    example: 'sales=+447700900001,desk=sip:desk@pbx.example.com',
    invalid: 'premium=09001234567',
    parse: (raw) => {
      try {
        return DestinationTable.from(raw).toJSON();
      } catch {
        return undefined;
      }
    },
  }),
  setting({
    key: 'voicemail',
    env: 'VOICEMAIL',
    flag: '--voicemail <policy...>',
    description:
      'agent: when machine detection says a machine answered a dialled call: hangup, leave "<message>" (spoken after the beep, {column} from the call\'s context, then hang up), or agent (the agent talks after the beep, told it is a voicemail)',
    allowed: `hangup, agent, or leave followed by a message of 1 to ${MAX_VOICEMAIL_MESSAGE} characters`,
    example: 'leave Hello {name}, this is the clinic. Please call us back.',
    invalid: 'record',
    parse: parseVoicemailPolicy,
  }),
  setting({
    key: 'agentProvider',
    env: 'AGENT_PROVIDER',
    flag: '--agent-provider <name>',
    description:
      'who runs the agent: openai (Realtime), gemini (Live), elevenlabs, deepgram (Voice Agent), or cascade (--stt → a chat model at --llm-url → --tts)',
    allowed: AGENT_PROVIDERS.join(', '),
    example: 'gemini',
    invalid: 'bard',
    parse: oneOf(AGENT_PROVIDERS),
  }),
  setting({
    key: 'agentInstructions',
    env: 'AGENT_INSTRUCTIONS',
    flag: '--instructions <text>',
    description: "the agent's instructions (default: a brief, friendly phone assistant that hangs up when the caller is done)",
    allowed: `1 to ${MAX_INSTRUCTIONS} characters`,
    example: 'You answer questions about opening hours.',
    invalid: 'x'.repeat(MAX_INSTRUCTIONS + 1),
    parse: text(MAX_INSTRUCTIONS),
  }),
  setting({
    key: 'agentGreeting',
    env: 'AGENT_GREETING',
    flag: '--agent-greeting <text>',
    description: 'what the agent says first (default: "Hello! How can I help you today?")',
    allowed: '1 to 1500 characters',
    example: 'Thanks for calling.',
    invalid: 'x'.repeat(1501),
    parse: text(1500),
  }),
  setting({
    key: 'agentVoice',
    env: 'AGENT_VOICE',
    flag: '--voice <name>',
    description: "the provider's voice (openai: marin; gemini: Puck; deepgram: aura-2-thalia-en; cascade: the --tts engine's)",
    allowed: 'a voice name, one word',
    example: 'cedar',
    invalid: 'two words',
    parse: name,
  }),
  setting({
    key: 'agentModel',
    env: 'AGENT_MODEL',
    flag: '--model <name>',
    description: 'the model (openai: gpt-realtime; gemini: a Live model; deepgram: its think model; cascade: the chat model, gpt-4o-mini)',
    allowed: 'a model name, one word',
    example: 'gpt-realtime-mini',
    invalid: 'two words',
    parse: name,
  }),
  setting({
    key: 'openaiRealtimeUrl',
    env: 'OPENAI_REALTIME_URL',
    flag: '--openai-url <url>',
    description: "openai: the Realtime endpoint, for a proxy or a server speaking its protocol (default OpenAI's)",
    allowed: 'an absolute ws(s):// or http(s):// URL',
    example: 'ws://127.0.0.1:8765/v1/realtime',
    invalid: 'ftp://example.com',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'geminiApiKey',
    secret: true,
    env: 'GEMINI_API_KEY',
    aliases: ['GOOGLE_API_KEY'],
    flag: '--gemini-key <key>',
    description: 'Gemini API key, for --agent-provider gemini',
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: 'AIzaSy0123456789abcdef0123456789abcdef0',
    invalid: 'short',
    parse: apiKey,
  }),
  setting({
    key: 'geminiUrl',
    env: 'GEMINI_BASE_URL',
    flag: '--gemini-url <url>',
    description: "gemini: the API base, for a proxy or a server speaking its protocol (default Google's)",
    allowed: 'an absolute http(s):// or ws(s):// URL',
    example: 'http://127.0.0.1:8765',
    invalid: 'gemini',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'elevenlabsAgentId',
    env: 'ELEVENLABS_AGENT_ID',
    flag: '--elevenlabs-agent-id <id>',
    description: 'elevenlabs: the agent to talk to (made in ElevenLabs; it has its own voice and instructions)',
    allowed: 'letters, digits, _ and -',
    example: 'agent_01abc',
    invalid: 'agent 1',
    parse: (raw) => (/^[\w-]{1,200}$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'deepgramAgentUrl',
    env: 'DEEPGRAM_AGENT_URL',
    flag: '--deepgram-agent-url <url>',
    description: "deepgram: the Voice Agent API base, for a proxy or a server speaking its protocol (default Deepgram's)",
    allowed: 'an absolute ws(s):// or http(s):// URL',
    example: 'ws://127.0.0.1:8765',
    invalid: 'deepgram',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'llmUrl',
    env: 'LLM_BASE_URL',
    flag: '--llm-url <url>',
    description: "cascade: an OpenAI-compatible chat-completions base (default OpenAI's; Ollama: http://localhost:11434/v1)",
    allowed: 'an absolute http(s):// URL',
    example: 'http://127.0.0.1:11434/v1',
    invalid: 'ws://127.0.0.1:11434/v1',
    parse: urlOf(['http:', 'https:']),
  }),
  setting({
    key: 'llmApiKey',
    secret: true,
    env: 'LLM_API_KEY',
    flag: '--llm-key <key>',
    description: "cascade: the chat model's API key (default: --openai-key; a local model server needs none)",
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: 'gsk_0123456789abcdef0123456789abcdef',
    invalid: 'short',
    parse: apiKey,
  }),
];

/** What `--agent-provider x` cannot start without: the settings, and how to give them. */
const NEEDS: Record<(typeof AGENT_PROVIDERS)[number], Array<{ has: (config: ServerConfig) => boolean; variables: string; flag: string }>> = {
  openai: [{ has: (c) => c.openaiApiKey !== undefined, variables: 'OPENAI_API_KEY', flag: '--openai-key' }],
  gemini: [{ has: (c) => c.geminiApiKey !== undefined, variables: 'GEMINI_API_KEY or GOOGLE_API_KEY', flag: '--gemini-key' }],
  elevenlabs: [
    { has: (c) => c.elevenlabsApiKey !== undefined, variables: 'ELEVENLABS_API_KEY', flag: '--elevenlabs-key' },
    { has: (c) => c.elevenlabsAgentId !== undefined, variables: 'ELEVENLABS_AGENT_ID', flag: '--elevenlabs-agent-id' },
  ],
  deepgram: [{ has: (c) => c.deepgramApiKey !== undefined, variables: 'DEEPGRAM_API_KEY', flag: '--deepgram-key' }],
  // A local model server (Ollama, vLLM) takes no key; OpenAI's own API does.
  cascade: [
    {
      has: (c) => c.llmUrl !== undefined || c.llmApiKey !== undefined || c.openaiApiKey !== undefined,
      variables: 'LLM_API_KEY or OPENAI_API_KEY',
      flag: '--llm-key or --openai-key, or a key-less --llm-url',
    },
  ],
};

/** The agent app without what its provider needs would fail on every call: the server does not start. */
export function checkAgentSettings(config: ServerConfig): void {
  if (config.app !== 'agent') return;
  const provider = config.agentProvider;
  for (const need of NEEDS[provider]) {
    if (!need.has(config))
      throw new VoicesocketError(
        'CONFIG_INVALID',
        `--app agent with --agent-provider ${provider} needs ${need.variables} (or ${need.flag}); see docs/agents.md`,
      );
  }
}
