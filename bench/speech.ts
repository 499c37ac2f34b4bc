/**
 * Speech benchmarks, every one through real calls: a real server, the emulator's speaking callers
 * (espeak-ng voices and speeds, white noise at an SNR), WebRTC's detector and PocketSphinx.
 *
 * - `menuAccuracy`: the voice-menu app routing callers who say a choice over its prompt; the confusion
 *   table, and the time from our detector's speech end to the final result (menu mode).
 * - `bargeIn`: barge-in on speech (as the play app's --barge-in speech) under a 440 Hz prompt; the caller's true speech
 *   onset (from the synthesized audio) to the clear, in audio time and in wall time, and prompt audio
 *   the caller heard after the clear took effect.
 * - `freeForm`: the transcribe app on fixed sentences: word error rate (src/speech/word-error-rate.ts)
 *   and speech end → final result, free-form.
 * - `transcribingCpu`: the server as its own process (pinned to core 0, PocketSphinx children
 *   included) transcribing calls that speak every 3 s; CPU per call and calls per core.
 *
 * The server runs in this process for the first three (their figures are audio and event times, not
 * CPU); the emulator shares its event loop, which adds to the wall times, never subtracts.
 */
import { EventEmitter, once } from 'node:events';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bargeIn as installBargeIn, voiceMenu } from '../src/apps/index.js';
import { transcribeCalls } from '../src/apps/transcribe.js';
import type { CallSession } from '../src/call/call-session.js';
import { floatToPcm16 } from '../src/audio/pcm.js';
import { writeWav } from '../src/audio/wav.js';
import { sine } from '../src/audio/tone.js';
import { placeCall } from '../src/emulator/call.js';
import { synthesizeSpeech } from '../src/emulator/caller-audio.js';
import type { LoadReport } from '../src/emulator/load.js';
import { distribution, type Distribution } from '../src/emulator/stats.js';
import { wordErrors } from '../src/speech/word-error-rate.js';
import { toneLevel } from '../test/helpers/audio.js';
import { startTestServer } from '../test/helpers/server.js';
import { cpuSeconds, nodePid, spawnNode, startNode, treeCpuSeconds } from './processes.js';
import { onLine, recordings } from './recorded-speech.js';

const CHOICES = ['sales', 'support', 'operator'];
const VOICES = ['en-us', 'en-gb', 'en+m3', 'en+f2'];
const SPEEDS = [140, 175, 210];
const RATE = 16000;

/** Runs `jobs` at most `width` at a time, in order. */
async function inBatches<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += width) results.push(...(await Promise.all(jobs.slice(i, i + width).map((job) => job()))));
  return results;
}

/** Times from each speech end to the final result that followed it, ms of wall time. */
function endToFinal(session: CallSession, into: number[]): void {
  let endedAt: number | undefined;
  session.on('speech-end', () => (endedAt = performance.now()));
  session.on('transcript', (event) => {
    if (event.kind !== 'final' || endedAt === undefined) return;
    into.push(performance.now() - endedAt);
    endedAt = undefined;
  });
}

export interface MenuTrial {
  said: string;
  voice: string;
  wordsPerMinute: number;
  noisy: boolean;
  routed: string | undefined;
}

export interface MenuResult {
  trials: MenuTrial[];
  endToFinalMs: Distribution | undefined;
}

export async function menuAccuracy(quick: boolean): Promise<MenuResult> {
  const routes = new Map<string, string>();
  const latencies: number[] = [];
  const menu = voiceMenu({
    choices: CHOICES,
    timeoutMs: 6000,
    attempts: 1,
    onChoice: (session, choice, by) => {
      if (by === 'speech') routes.set(session.identity.uuid ?? '', choice);
      session.hangup(1000, `menu: ${choice}`);
    },
  });
  const server = await startTestServer({
    app: (session) => {
      endToFinal(session, latencies);
      menu(session);
    },
  });
  const specs: Array<Omit<MenuTrial, 'routed'>> = [];
  for (const voice of quick ? VOICES.slice(0, 1) : VOICES)
    for (const wordsPerMinute of quick ? [175] : SPEEDS)
      for (const noisy of [false, true]) for (const said of CHOICES) specs.push({ said, voice, wordsPerMinute, noisy });
  try {
    const trials = await inBatches(
      specs.map((spec) => async (): Promise<MenuTrial> => {
        const result = await placeCall({
          answerUrl: `${server.baseUrl}/webhooks/answer`,
          durationMs: 9000,
          talk: 'skip',
          // Said over the prompt (~4 s): barge-in, then the menu decodes it.
          audio: {
            kind: 'script',
            utterances: [{ text: spec.said, atMs: 1500 }],
            voice: spec.voice,
            wordsPerMinute: spec.wordsPerMinute,
            ...(spec.noisy ? { noiseSnrDb: 20 } : {}),
          },
        });
        return { ...spec, routed: routes.get(result.uuid) };
      }),
      6,
    );
    return { trials, endToFinalMs: distribution(latencies) };
  } finally {
    await server.close();
  }
}

export function confusionTable(trials: MenuTrial[]): string {
  const columns = [...CHOICES, 'nothing'];
  const rows = [`| said \\ routed to | ${columns.join(' | ')} | accuracy |`, `|---|${columns.map(() => '---|').join('')}---|`];
  for (const said of CHOICES) {
    const mine = trials.filter((t) => t.said === said);
    const count = (column: string) => mine.filter((t) => (t.routed ?? 'nothing') === column).length;
    rows.push(`| ${said} | ${columns.map(count).join(' | ')} | ${((100 * count(said)) / Math.max(1, mine.length)).toFixed(1)} % |`);
  }
  return rows.join('\n');
}

export function accuracyBy(trials: MenuTrial[], key: (trial: MenuTrial) => string): string {
  const groups = new Map<string, MenuTrial[]>();
  for (const trial of trials) groups.set(key(trial), [...(groups.get(key(trial)) ?? []), trial]);
  return [...groups].map(([name, group]) => `${name} ${group.filter((t) => t.routed === t.said).length}/${group.length}`).join(', ');
}

export interface BargeInResult {
  trials: number;
  cleared: number;
  /** True speech onset → clear, in audio (call) time: what the detector needed to hear. */
  onsetToClearAudioMs: Distribution | undefined;
  /** Arrival of the onset's frame → clear sent, wall time. */
  onsetToClearWallMs: Distribution | undefined;
  /** 20 ms frames of the prompt the caller heard after the clear took effect, over all trials. */
  promptFramesAfterClear: number;
}

/** Where speech starts in synthesized audio: the first 10 ms above -40 dBFS, ms. */
function leadingSilenceMs(pcm: Buffer, rate: number): number {
  const window = (rate / 100) * 2;
  for (let offset = 0; offset + window <= pcm.length; offset += window) {
    let peak = 0;
    for (let i = offset; i < offset + window; i += 2) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i)));
    if (peak > 328) return (offset / 2 / rate) * 1000;
  }
  return 0;
}

export async function bargeIn(quick: boolean): Promise<BargeInResult> {
  const prompt = floatToPcm16(sine(440, 8000, RATE, 0.3));
  const clears = new Map<string, { framesIn: number; at: number; arrivals: number[] }>();
  const server = await startTestServer({
    app: (session) => {
      const arrivals: number[] = [];
      session.on('audio', () => void arrivals.push(performance.now()));
      const clear = session.clear.bind(session);
      session.clear = () => {
        clears.set(session.identity.uuid ?? '', { framesIn: session.stats.framesIn, at: performance.now(), arrivals });
        return clear();
      };
      // The play app's barge-in, without its echo afterwards: after the clear the caller hears nothing.
      installBargeIn(session, 'speech', () => undefined);
      session.once('connected', () => void session.play(prompt));
    },
  });
  const lines = ['hello there', 'I need help', 'operator please', 'yes', 'can you hear me', 'stop'];
  const specs = (quick ? lines.slice(0, 2) : lines).flatMap((text) => (quick ? VOICES.slice(0, 1) : VOICES).map((voice) => ({ text, voice })));
  const audio: number[] = [];
  const wall: number[] = [];
  let promptAfter = 0;
  try {
    await inBatches(
      specs.map((spec) => async () => {
        const atMs = 2000;
        const onsetMs = atMs + leadingSilenceMs((await synthesizeSpeech(spec.text, RATE, { name: spec.voice })).pcm, RATE);
        const result = await placeCall({
          answerUrl: `${server.baseUrl}/webhooks/answer`,
          durationMs: 5000,
          talk: 'skip',
          record: true,
          audio: { kind: 'script', utterances: [{ text: spec.text, atMs }], voice: spec.voice },
        });
        const clear = clears.get(result.uuid);
        const leg = result.leg;
        if (!clear || !leg?.heard) return;
        audio.push(clear.framesIn * 20 - onsetMs);
        const onsetFrame = Math.floor(onsetMs / 20);
        if (clear.arrivals[onsetFrame] !== undefined) wall.push(clear.at - clear.arrivals[onsetFrame]);
        const from = ((leg.clearsAtHeardMs[0] ?? 0) / 1000) * RATE * 2;
        const frameBytes = (RATE / 50) * 2;
        for (let offset = from; offset + frameBytes <= leg.heard.length; offset += frameBytes) {
          if (toneLevel(leg.heard.subarray(offset, offset + frameBytes), 440, RATE) > 0.001) promptAfter++;
        }
      }),
      4,
    );
    return {
      trials: specs.length,
      cleared: audio.length,
      onsetToClearAudioMs: distribution(audio),
      onsetToClearWallMs: distribution(wall),
      promptFramesAfterClear: promptAfter,
    };
  } finally {
    await server.close();
  }
}

/** Fixed sentences, the kind callers say; espeak-ng en-us at 175 wpm. */
export const SENTENCES = [
  'I would like to check my account balance',
  'please send me a new credit card',
  'my internet has been down since yesterday',
  'can I speak to someone about my bill',
  'I want to cancel my order',
  'the delivery never arrived',
  'what time do you open tomorrow',
  'thank you very much for your help',
  'I forgot my password',
  'is there a problem with the network in my area',
  'I need to change my address',
  'good morning I am calling about an appointment',
];

export interface FreeFormResult {
  sentences: Array<{ reference: string; heard: string; rate: number }>;
  wordErrorRate: number;
  endToFinalMs: Distribution | undefined;
}

export async function freeForm(quick: boolean): Promise<FreeFormResult> {
  const heard = new Map<string, string[]>();
  const latencies: number[] = [];
  const transcribe = transcribeCalls();
  const server = await startTestServer({
    app: (session) => {
      endToFinal(session, latencies);
      session.on('transcript', (event) => {
        if (event.kind === 'final') heard.set(session.identity.uuid ?? '', [...(heard.get(session.identity.uuid ?? '') ?? []), event.text]);
      });
      transcribe(session);
    },
  });
  try {
    const sentences = await inBatches(
      (quick ? SENTENCES.slice(0, 1) : SENTENCES).map((reference) => async () => {
        const result = await placeCall({
          answerUrl: `${server.baseUrl}/webhooks/answer`,
          durationMs: 6000,
          talk: 'skip',
          audio: { kind: 'script', utterances: [{ text: reference, atMs: 800 }] },
        });
        const text = (heard.get(result.uuid) ?? []).join(' ');
        return { reference, heard: text, rate: wordErrors(reference, text).rate };
      }),
      4,
    );
    const totals = sentences.map((s) => wordErrors(s.reference, s.heard));
    const errors = totals.reduce((sum, e) => sum + e.substitutions + e.deletions + e.insertions, 0);
    const words = totals.reduce((sum, e) => sum + e.words, 0);
    return { sentences, wordErrorRate: errors / words, endToFinalMs: distribution(latencies) };
  } finally {
    await server.close();
  }
}

export interface CpuResult {
  /** The engine: `pocketsphinx` as it ships, or the baseline module (fixtures/pocketsphinx-before.ts). */
  engine: string;
  calls: number;
  cpuPercent: number;
  cpuPercentPerCall: number;
  /** The Node process alone (detector, resampling, sockets); the rest is PocketSphinx. */
  nodePercentPerCall: number;
  callsPerCore: number;
  /** CPU seconds per call before the window: the engine's start and the call's first sentence. */
  startCpuSeconds: number;
  finals: number;
  /** Recordings the callers said whole (some are several utterances). */
  said: number;
  /** VS_ERR_SPEECH_ENGINE_* lines: an engine that fell behind and gave up. Must be 0 for the figure to stand. */
  engineFailures: number;
  /** Word error rate of every call's finals against the recordings its caller said (people, recorded). */
  wordErrorRate: number;
}

/** The baseline engine of `transcribingCpu`: PocketSphinx as it decoded before (a user engine module). */
export const POCKETSPHINX_BEFORE = join(import.meta.dirname, 'fixtures', 'pocketsphinx-before.ts');

const CLI = join(import.meta.dirname, '..', 'bin', 'voicesocket.js');

/**
 * The caller of `transcribingCpu`: people, not a synthetic voice. CMU's recordings (the recorded
 * suite's: bench/recorded-speech.ts) one after another with 1 s between them on a quiet line's noise
 * floor, the short "go forward ten meters" first (the call's first sentence, before the window), then
 * the LibriVox reading and the card names. `saidBy(s)`: the transcripts of the recordings that ended
 * half a second or more before `s` seconds of call.
 */
async function recordedCaller(dir: string): Promise<{ path: string; saidBy: (seconds: number) => string[] }> {
  const all = recordings();
  const ordered = [...all.filter((r) => r.set === 'goforward'), ...all.filter((r) => r.set !== 'goforward')];
  const gap = Buffer.alloc(RATE * 2);
  const ends: Array<{ reference: string; endS: number }> = [];
  // onLine puts 500 ms of line before the first recording.
  let atS = 0.5;
  for (const recording of ordered) {
    atS += recording.pcm.length / 2 / RATE;
    ends.push({ reference: recording.reference, endS: atS });
    atS += gap.length / 2 / RATE;
  }
  const path = join(dir, 'callers.wav');
  await writeFile(path, writeWav(onLine(Buffer.concat(ordered.flatMap((r) => [r.pcm, gap])), RATE), RATE));
  return { path, saidBy: (seconds) => ends.filter((end) => end.endS <= seconds - 0.5).map((end) => end.reference) };
}

/**
 * The transcribe app as its own process per engine, all at once, every server pinned to core 0 and
 * measured over the same window: a machine that slows down for a while (a shared host) slows every
 * engine alike, so their ratio holds where runs one after the other varied by a quarter. Every call's
 * caller is the same recorded human speech (recordedCaller), so the word error rates compare the
 * engines on people. Run below saturation (the servers share the pinned core): past it, decoders fall
 * behind, each engine times out and its call goes on untranscribed, and CPU per call would read low.
 */
export async function transcribingCpu(calls: number, durationS: number, engines: string[] = ['pocketsphinx'], leadS = 4.5): Promise<CpuResult[]> {
  const rampMs = calls * 100;
  // Steady state: the window opens `leadS` after every call is connected, when its first sentence
  // (0.5–3 s) has its final. What a call costs before that (the engine's start, the first utterance decoded whole
  // while the line's mean is learnt) is reported apart, as CPU seconds per call start.
  // The load process's own start (it synthesizes its callers' sentences first) comes before its calls.
  const total = durationS + leadS + rampMs / 1000 + 1;
  const caller = await recordedCaller(await mkdtemp(join(tmpdir(), 'voicesocket-bench-')));
  const said = caller.saidBy(total);
  const runs = await Promise.all(engines.map((stt) => startTranscribing(stt)));
  try {
    const before = runs.map((run) => treeCpuSeconds(run.pid));
    const loads = runs.map((run) => run.placeCalls(calls, total, rampMs, caller.path));
    await Promise.all(runs.map((run) => run.connected(calls)));
    await sleep(leadS * 1000);
    const start = runs.map((run) => ({ tree: treeCpuSeconds(run.pid), node: cpuSeconds(run.pid) }));
    const wallStart = performance.now();
    await sleep(Math.max(1000, durationS * 1000 - 1500));
    const wall = (performance.now() - wallStart) / 1000;
    const used = runs.map((run, i) => ({ tree: treeCpuSeconds(run.pid) - start[i]!.tree, node: cpuSeconds(run.pid) - start[i]!.node }));
    const reports = await Promise.all(loads);
    return await Promise.all(
      runs.map(async (run, i) => {
        if (reports[i]!.connected !== calls) throw new Error(`transcribingCpu: ${reports[i]!.connected} of ${calls} calls connected (${run.stt})`);
        const cpuPercent = (100 * used[i]!.tree) / wall;
        return {
          engine: run.stt === 'pocketsphinx' ? 'pocketsphinx' : 'pocketsphinx before',
          calls,
          cpuPercent,
          cpuPercentPerCall: cpuPercent / calls,
          nodePercentPerCall: (100 * used[i]!.node) / wall / calls,
          callsPerCore: 100 / (cpuPercent / calls),
          startCpuSeconds: (start[i]!.tree - before[i]!) / calls,
          said: calls * said.length,
          engineFailures: run.engineFailures(),
          ...(await transcriptAccuracy(run.dir, said)),
        };
      }),
    );
  } finally {
    await Promise.all(runs.map((run) => run.stop()));
  }
}

/** One transcribe server for `stt`, transcripts to a folder of its own; calls placed by its own load process (core 1). */
async function startTranscribing(stt: string) {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-bench-'));
  const server = await startNode(
    [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--app', 'transcribe', '--stt', stt, '--dir', dir, '--log-level', 'info', '--drain-delay', '0'],
    0,
    (line) => line.includes('voicesocket listening'),
  );
  let engineFailures = 0;
  let started = 0;
  const counted = new EventEmitter();
  server.child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    engineFailures += text.split('VS_ERR_SPEECH_ENGINE').length - 1;
    started += text.split('"call started"').length - 1;
    counted.emit('started');
  });
  const answerUrl = String((JSON.parse(server.readyLine) as { answerUrl: string }).answerUrl);
  return {
    stt,
    dir,
    pid: nodePid(server),
    engineFailures: () => engineFailures,
    /** Resolves when `calls` calls have started (the server's log). */
    connected: async (calls: number): Promise<void> => {
      while (started < calls) await once(counted, 'started');
    },
    stop: () => server.stop(),
    placeCalls: (calls: number, totalS: number, rampMs: number, wav: string): Promise<LoadReport> => {
      const load = spawnNode(
        [CLI, 'load', answerUrl, '--calls', String(calls), '--duration', `${totalS}s`, '--ramp', `${rampMs}ms`, '--audio', wav, '--json'],
        1,
      );
      let json = '';
      load.stdout!.on('data', (chunk) => (json += chunk));
      load.stderr!.resume();
      return new Promise((resolve) => load.once('exit', () => resolve(JSON.parse(json) as LoadReport)));
    },
  };
}

/** Every call's final results in `dir` against what its caller said. */
async function transcriptAccuracy(dir: string, said: string[]): Promise<{ finals: number; wordErrorRate: number }> {
  let finals = 0;
  let errors = 0;
  let words = 0;
  for (const file of await readdir(dir)) {
    const lines = (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean);
    finals += lines.length;
    const heard = lines.map((line) => (JSON.parse(line) as { text: string }).text).join(' ');
    const counted = wordErrors(said.join(' '), heard);
    errors += counted.substitutions + counted.deletions + counted.insertions;
    words += counted.words;
  }
  return { finals, wordErrorRate: words ? errors / words : 1 };
}
