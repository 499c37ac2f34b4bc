/**
 * Options shared by `call`, `load` and `check`: where the app is, how Vonage signs, what the caller
 * says, and the emulator's switches for unconfirmed behaviour.
 */
import type { Command } from 'commander';
import type { CallerAudioSpec } from '../emulator/caller-audio.js';
import type { EmulatorSwitches } from '../emulator/switches.js';
import type { Signing } from '../emulator/webhook-client.js';
import { parseChoice, parseInteger, parseSayScript, parseUrl } from './parse.js';

export interface SharedFlags {
  eventUrl?: string;
  fallbackUrl?: string;
  method?: string;
  audio?: string;
  tone?: string;
  speech?: string;
  say?: string;
  voice?: string;
  wpm?: string;
  noiseSnr?: string;
  secret?: string;
  apiKey?: string;
  applicationId?: string;
  buffer?: string;
  overflow?: string;
  connectNonBlocking?: boolean;
  headersAsHttp?: boolean;
  plainWs?: boolean;
}

export function addSharedOptions(command: Command): Command {
  return command
    .option('--event-url <url>', 'event webhook URL (default: none; events are not posted)')
    .option('--fallback-url <url>', 'fallback answer URL')
    .option('--method <GET|POST>', 'answer webhook method', 'GET')
    .option('--audio <file.wav>', 'caller audio from a WAV file (any rate and channels)')
    .option('--tone <hz>', 'caller audio: a sine tone')
    .option('--speech <text>', 'caller audio: speech (espeak-ng; a tone when it is not installed)')
    .option('--say <script>', 'caller audio: lines spoken at times, "text"@time pairs: "sales"@2s,"operator"@6s')
    .option('--voice <name>', 'espeak-ng voice of --speech and --say: en-us, en-gb, en+f3, ...')
    .option('--wpm <words>', 'speed of --speech and --say, words per minute (default 170)')
    .option('--noise-snr <db>', 'add white noise under --say, this many dB below the speech')
    .option('--secret <secret>', 'sign webhooks and socket upgrades with this signature secret [env VONAGE_SIGNATURE_SECRET]')
    .option('--api-key <key>', 'api_key claim of signed requests [env VONAGE_API_KEY]')
    .option('--application-id <id>', 'application_id claim of signed requests [env VONAGE_APPLICATION_ID]')
    .option('--buffer <frames>', 'playback buffer capacity: 3072 (current) or 1024 (2021 guide)')
    .option('--overflow <policy>', 'full playback buffer: drop-newest, drop-oldest or disconnect')
    .option('--connect-non-blocking', 'run actions after connect once the socket is up')
    .option('--headers-as-http', 'also send the NCCO headers as HTTP headers on the upgrade')
    .option('--plain-ws', 'connect wss:// endpoints as ws:// (test an app on this machine whose NCCO says wss://; Vonage itself needs TLS)');
}

export function audioSpec(flags: SharedFlags): CallerAudioSpec {
  if (flags.audio) return { kind: 'wav', path: flags.audio };
  if (flags.tone) return { kind: 'tone', frequency: parseInteger(flags.tone, '--tone', 20, 12000) };
  const voice = {
    ...(flags.voice ? { voice: flags.voice } : {}),
    ...(flags.wpm ? { wordsPerMinute: parseInteger(flags.wpm, '--wpm', 80, 450) } : {}),
  };
  if (flags.say) {
    return {
      kind: 'script',
      utterances: parseSayScript(flags.say),
      ...voice,
      ...(flags.noiseSnr ? { noiseSnrDb: parseInteger(flags.noiseSnr, '--noise-snr', -10, 60) } : {}),
    };
  }
  if (flags.speech) return { kind: 'speech', text: flags.speech, ...voice };
  return { kind: 'silence' };
}

export function signing(flags: SharedFlags, env: NodeJS.ProcessEnv = process.env): Signing | undefined {
  const secret = flags.secret ?? env.VONAGE_SIGNATURE_SECRET;
  if (!secret) return undefined;
  const apiKey = flags.apiKey ?? env.VONAGE_API_KEY;
  const applicationId = flags.applicationId ?? env.VONAGE_APPLICATION_ID;
  return { secret, ...(apiKey ? { apiKey } : {}), ...(applicationId ? { applicationId } : {}) };
}

export function switches(flags: SharedFlags): Partial<EmulatorSwitches> {
  const result: Partial<EmulatorSwitches> = {};
  if (flags.buffer) result.bufferFrames = parseInteger(flags.buffer, '--buffer', 1, 100_000);
  if (flags.overflow) result.overflow = parseChoice(flags.overflow, '--overflow', ['drop-newest', 'drop-oldest', 'disconnect'] as const);
  if (flags.connectNonBlocking) result.connectBlocks = false;
  if (flags.headersAsHttp) result.headersAsHttpHeaders = true;
  return result;
}

export function urls(answerUrl: string, flags: SharedFlags): { answerUrl: string; eventUrl?: string; fallbackUrl?: string; answerMethod: 'GET' | 'POST' } {
  return {
    answerUrl: parseUrl(answerUrl, 'answer-url'),
    ...(flags.eventUrl ? { eventUrl: parseUrl(flags.eventUrl, '--event-url') } : {}),
    ...(flags.fallbackUrl ? { fallbackUrl: parseUrl(flags.fallbackUrl, '--fallback-url') } : {}),
    answerMethod: parseChoice((flags.method ?? 'GET').toUpperCase(), '--method', ['GET', 'POST'] as const),
  };
}
