/**
 * The options of the built-in apps (`--delay`, `--file`, ...): flags of `serve` and `dev` only (no
 * variable: they belong to one app, and are checked by it when it starts). One table drives `--help`,
 * `--print-config` and the README's table (a test holds the README to it).
 */
export interface AppOption {
  /** The flag as commander takes it; its value's name is the app options' key (`--barge-in` → `bargeIn`). */
  flag: string;
  /** The key in the app options (`options.bargeIn`). */
  key: string;
  /** Which apps read it. */
  apps: string[];
  description: string;
  /** The app's default, in words; none when there is none. */
  default?: string;
}

export const APP_OPTIONS: AppOption[] = [
  { flag: '--delay <time>', key: 'delay', apps: ['delay-echo'], description: 'how long the echo is delayed (up to 10s)', default: '1s' },
  { flag: '--file <wav>', key: 'file', apps: ['play'], description: 'the prompt to play: any WAV file (checked at start)' },
  { flag: '--loop', key: 'loop', apps: ['play'], description: 'repeat the prompt until it is interrupted' },
  {
    flag: '--barge-in <mode>',
    key: 'bargeIn',
    apps: ['play', 'agent'],
    description: 'what interrupts: play: dtmf, speech, both or none; agent: model, speech or both',
    default: 'play: dtmf; agent: model for openai, both for the rest',
  },
  {
    flag: '--dir <path>',
    key: 'dir',
    apps: ['record', 'transcribe'],
    description: 'record: where to write the recordings; transcribe: a JSONL transcript per call there',
    default: 'record: recordings/',
  },
  {
    flag: '--choices <words>',
    key: 'choices',
    apps: ['voice-menu'],
    description: 'the choices, comma-separated, key 1 first',
    default: 'sales,support,operator',
  },
  { flag: '--timeout <time>', key: 'timeout', apps: ['voice-menu'], description: 'silence before the menu asks again (up to 60s)', default: '6s' },
  { flag: '--transcript-url <url>', key: 'transcriptUrl', apps: ['transcribe'], description: 'POST each final result here as JSON' },
];
