/**
 * Offline accuracy on real recorded human speech with known transcripts, not synthetic voices:
 * Debian's `pocketsphinx-testdata` (CMU's test recordings, installed by the setup script, never
 * downloaded at run time) — five sentences of a LibriVox reading of Sense and Sensibility (free-form
 * read speech), five people's-style card names ("ten of clubs"), and "go forward ten meters" — and
 * bench/data/speech-dev (616 words, at least 14 speakers: bench/speech-dev.ts).
 *
 * Each file at 16 kHz and at 8 kHz (downsampled, as a narrowband call carries it), on a quiet line
 * (onLine), three ways:
 * - **engine**: PocketSphinx alone on the whole file as one utterance (a decoder per file), as CMU ships it: its default
 *   settings, no detector, none of our code (bench/fixtures/pocketsphinx-whole.py); at 8 kHz the file
 *   is brought to the model's 16 kHz by sox — what the engine itself makes of the recording;
 * - **pipeline**: through our detector and the engine, as a live call feeds them (transcribeRecording);
 * - **call**: the file as a caller's audio on an emulated call to the transcribe app (the socket, the
 *   call's frames, the app).
 * The difference between engine and call is what our pipeline loses (word onsets or tails cut by the
 * detector, utterances split, resampling).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Resampler } from '../src/audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../src/audio/pcm.js';
import { readWav } from '../src/audio/wav.js';
import { frameBytes } from '../src/protocol/audio-format.js';
import { placeCall } from '../src/emulator/call.js';
import { transcribeRecording } from '../src/speech/transcribe-recording.js';
import { wordErrors } from '../src/speech/word-error-rate.js';
import { transcribeCalls } from '../src/apps/transcribe.js';
import { startTestServer } from '../test/helpers/server.js';
import { speechDev } from './speech-dev.js';

export const TESTDATA = '/usr/share/pocketsphinx/test/data';

interface Recording {
  set: 'librivox' | 'cards' | 'goforward' | 'speech-dev';
  /** speech-dev's: the part settings were chosen on, or the held-out one (bench/speech-dev.ts). */
  part?: 'choose' | 'held-out';
  name: string;
  reference: string;
  /** s16le mono at 16 kHz. */
  pcm: Buffer;
}

/** A WAV file as s16le mono at 16 kHz (the test recordings are 16 kHz mono already; checked). */
function wav16k(path: string): Buffer {
  const wav = readWav(readFileSync(path));
  if (wav.sampleRate !== 16000 || wav.channels.length !== 1)
    throw new Error(`${path}: expected 16 kHz mono, got ${wav.sampleRate} Hz × ${wav.channels.length}`);
  return floatToPcm16(wav.channels[0]!);
}

function transcripts(file: string): Map<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return new Map(
    lines.map((line) => {
      const id = /\(([^)]+)\)\s*$/.exec(line)![1]!;
      return [
        id,
        line
          .replace(/\([^)]+\)\s*$/, '')
          .replace(/<\/?s>/g, '')
          .trim(),
      ];
    }),
  );
}

export function recordings(): Recording[] {
  const out: Recording[] = [];
  for (const [id, reference] of transcripts(join(TESTDATA, 'librivox', 'transcription'))) {
    out.push({
      set: 'librivox',
      name: id.replace('sense_and_sensibility_01_austen_64kb-', ''),
      reference,
      pcm: wav16k(join(TESTDATA, 'librivox', `${id}.wav`)),
    });
  }
  for (const [id, reference] of transcripts(join(TESTDATA, 'cards', 'cards.transcription'))) {
    out.push({ set: 'cards', name: id, reference, pcm: wav16k(join(TESTDATA, 'cards', `${id}.wav`)) });
  }
  // CMU's own test: a raw 16 kHz recording of this sentence (pocketsphinx's test suite expects it).
  out.push({ set: 'goforward', name: 'goforward', reference: 'go forward ten meters', pcm: readFileSync(join(TESTDATA, 'goforward.raw')) });
  return out;
}

function at(rate: number, pcm16k: Buffer): Buffer {
  return rate === 16000 ? pcm16k : floatToPcm16(new Resampler(16000, rate).process(pcm16ToFloat(pcm16k)));
}

/** A quiet line's noise floor: RMS 10 of 32768, about −70 dBFS. */
const LINE_NOISE_RMS = 10;

/**
 * The recording as a line carries it, the same input for all three ways: 500 ms of line before it,
 * and a quiet line's noise floor under all of it (seeded). Without the floor the lead is digital
 * zeros, and the call way's differed from the others: the emulator's frame tags (the lowest bit of
 * 32 samples per frame, emulator/websocket-leg.ts) were the only signal in it, and PocketSphinx,
 * which takes the cepstral mean over the whole utterance, heard "ten of clubs" as "but then upvotes".
 */
export function onLine(pcm: Buffer, rate: number): Buffer {
  const line = Buffer.concat([Buffer.alloc(frameBytes(rate) * 25), pcm]);
  const amplitude = LINE_NOISE_RMS * Math.sqrt(3);
  let seed = 2654435761;
  for (let i = 0; i + 1 < line.length; i += 2) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const value = line.readInt16LE(i) + Math.round(((seed >>> 0) / 4294967296 - 0.5) * 2 * amplitude);
    line.writeInt16LE(Math.max(-32768, Math.min(32767, value)), i);
  }
  return line;
}

const run = promisify(execFile);
const ENGINE_ALONE = join(import.meta.dirname, 'fixtures', 'pocketsphinx-whole.py');

/**
 * PocketSphinx alone on each whole recording (bench/fixtures/pocketsphinx-whole.py: CMU's defaults,
 * one utterance per file); 8 kHz recordings brought to 16 kHz by sox, not by our resampler.
 */
async function engineAlone(lines: Buffer[], rate: number): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-recorded-'));
  try {
    const files = await Promise.all(
      lines.map(async (pcm, index) => {
        const path = join(dir, `${index}.raw`);
        await writeFile(path, pcm);
        if (rate === 16000) return path;
        const raw = ['-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1'];
        // -D: no dither, which sox adds at random: the reference moved 2.6 points between runs with it.
        await run('sox', ['-D', ...raw, '-r', String(rate), path, ...raw, '-r', '16000', `${path}.16k`]);
        return `${path}.16k`;
      }),
    );
    const { stdout } = await run('/usr/bin/python3', [ENGINE_ALONE, ...files], { maxBuffer: 1 << 24 });
    const texts = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { file: string; text: string })
        .map((r) => [r.file, r.text]),
    );
    return files.map((file) => texts.get(file) ?? '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `work` over `items` with at most `width` at once, results in order. */
async function pool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

export interface RecordedRow {
  set: Recording['set'];
  part?: Recording['part'];
  name: string;
  rate: number;
  reference: string;
  engine: string;
  /** Through our detector and engine without a call (Debian's set only). */
  pipeline?: string;
  call: string;
}

export interface RecordedResult {
  rows: RecordedRow[];
  /** WER by set, rate and way: `librivox 16000 engine` → rate. */
  wer: Map<string, number>;
}

/**
 * Calls at once. One: three at once on a loaded 2-core machine made engines miss their start bound
 * (10 s) and whole calls came back empty.
 */
const CALLS_AT_ONCE = 1;

export type RecordedSet = 'debian' | 'speech-dev';

function chosenRecordings(quick: boolean, sets: RecordedSet[]): Recording[] {
  if (quick) return recordings().filter((r) => r.set === 'goforward');
  return [
    ...(sets.includes('debian') ? recordings() : []),
    ...(sets.includes('speech-dev') ? speechDev().map((r) => ({ set: 'speech-dev' as const, ...r })) : []),
  ];
}

/** The groups a row is counted in: its set, and for speech-dev its part too. */
export function groupsOf(row: Pick<RecordedRow, 'set' | 'part'>): string[] {
  return row.part ? [row.set, `${row.set} ${row.part}`] : [row.set];
}

export async function recordedSpeech(quick: boolean, sets: RecordedSet[] = ['debian', 'speech-dev']): Promise<RecordedResult> {
  const chosen = chosenRecordings(quick, sets);
  const rows: RecordedRow[] = [];
  // The quick smoke run: one file at 16 kHz (the way through every step, not a figure).
  for (const rate of quick ? ([16000] as const) : ([16000, 8000] as const)) {
    const heard = new Map<string, string[]>();
    // A call's last final can come as its engine closes, after the emulator has hung up: its 'end'
    // comes after it, so the row is read then.
    const ended = new Map<string, Promise<void>>();
    const transcribe = transcribeCalls();
    const server = await startTestServer({
      config: { sampleRate: rate },
      app: (session) => {
        session.on('transcript', (event) => {
          if (event.kind === 'final') heard.set(session.identity.uuid ?? '', [...(heard.get(session.identity.uuid ?? '') ?? []), event.text]);
        });
        session.once('connected', (identity) => ended.set(identity.uuid ?? '', new Promise((resolve) => session.once('end', () => resolve()))));
        transcribe(session);
      },
    });
    try {
      const lines = chosen.map((recording) => onLine(at(rate, recording.pcm), rate));
      const engine = await engineAlone(lines, rate);
      // The pipeline way (no call) for Debian's set only: speech-dev's figure is the call's.
      const pipeline = await pool(chosen, 1, async (recording) =>
        recording.set === 'speech-dev' ? undefined : (await transcribeRecording(lines[chosen.indexOf(recording)]!, rate)).map((r) => r.text).join(' '),
      );
      const calls = await pool(lines, CALLS_AT_ONCE, async (pcm) => {
        // 1.5 s more call after the recording for the last final result.
        const durationMs = Math.ceil((pcm.length / 2 / rate) * 1000) + 1500;
        const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs, talk: 'skip', audio: { kind: 'pcm', pcm } });
        await ended.get(result.uuid);
        return (heard.get(result.uuid) ?? []).join(' ');
      });
      chosen.forEach((recording, index) =>
        rows.push({
          set: recording.set,
          ...(recording.part ? { part: recording.part } : {}),
          name: recording.name,
          rate,
          reference: recording.reference,
          engine: engine[index]!,
          ...(pipeline[index] === undefined ? {} : { pipeline: pipeline[index] }),
          call: calls[index]!,
        }),
      );
    } finally {
      await server.close();
    }
  }
  const wer = new Map<string, number>();
  const groups = [...new Set(rows.flatMap(groupsOf))];
  for (const group of groups)
    for (const rate of [16000, 8000])
      for (const way of ['engine', 'pipeline', 'call'] as const) {
        const these = rows.filter((r) => groupsOf(r).includes(group) && r.rate === rate && r[way] !== undefined);
        if (these.length === 0) continue;
        const totals = these.map((r) => wordErrors(r.reference, r[way]!));
        const errors = totals.reduce((sum, e) => sum + e.substitutions + e.deletions + e.insertions, 0);
        wer.set(`${group} ${rate} ${way}`, errors / totals.reduce((sum, e) => sum + e.words, 0));
      }
  return { rows, wer };
}
