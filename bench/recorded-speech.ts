/**
 * Offline accuracy on real recorded human speech with known transcripts, not synthetic voices:
 * Debian's `pocketsphinx-testdata` (CMU's test recordings, installed by the setup script, never
 * downloaded at run time) — five sentences of a LibriVox reading of Sense and Sensibility (free-form
 * read speech), five people's-style card names ("ten of clubs"), and "go forward ten meters".
 *
 * Each file at 16 kHz and at 8 kHz (downsampled, as a narrowband call carries it), on a quiet line
 * (onLine), three ways:
 * - **engine**: PocketSphinx on the whole file as one utterance, no detector — what the engine itself
 *   makes of the recording;
 * - **pipeline**: through our detector and the engine, as a live call feeds them (transcribeRecording);
 * - **call**: the file as a caller's audio on an emulated call to the transcribe app (the socket, the
 *   call's frames, the app).
 * The difference between engine and call is what our pipeline loses (word onsets or tails cut by the
 * detector, utterances split, resampling).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resampler } from '../src/audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../src/audio/pcm.js';
import { readWav } from '../src/audio/wav.js';
import { FRAME_MS, frameBytes } from '../src/protocol/audio-format.js';
import { placeCall } from '../src/emulator/call.js';
import { pocketsphinxTranscriber } from '../src/speech/pocketsphinx.js';
import { transcribeRecording } from '../src/speech/transcribe-recording.js';
import { wordErrors } from '../src/speech/word-error-rate.js';
import { transcribeCalls } from '../src/apps/transcribe.js';
import { startTestServer } from '../test/helpers/server.js';

export const TESTDATA = '/usr/share/pocketsphinx/test/data';

interface Recording {
  set: 'librivox' | 'cards' | 'goforward';
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

/** PocketSphinx on the whole recording as one utterance: no detector. */
async function engineOnly(pcm: Buffer, rate: number): Promise<string> {
  const transcriber = pocketsphinxTranscriber().create(rate, { interim: false });
  const finals: string[] = [];
  transcriber.on('result', (result) => {
    if (result.kind === 'final') finals.push(result.text);
  });
  // An engine that fails (a start past its 10 s bound on a loaded machine) is this row's, in its
  // words: the engine's error event unheard would have thrown, ending the whole benchmark.
  let failure: Error | undefined;
  transcriber.on('error', (error) => (failure ??= error));
  const started = await transcriber.ready().then(
    () => true,
    () => false,
  );
  if (!started) {
    await transcriber.close();
    return `(engine failed: ${failure?.message ?? 'did not start'})`;
  }
  transcriber.speechStart(0, Buffer.alloc(0));
  const size = frameBytes(rate);
  let atMs = 0;
  for (let offset = 0; offset + size <= pcm.length; offset += size, atMs += FRAME_MS) transcriber.audio(pcm.subarray(offset, offset + size), atMs);
  transcriber.speechEnd(atMs);
  await transcriber.close();
  return finals.join(' ');
}

export interface RecordedRow {
  set: Recording['set'];
  name: string;
  rate: number;
  reference: string;
  engine: string;
  pipeline: string;
  call: string;
}

export interface RecordedResult {
  rows: RecordedRow[];
  /** WER by set, rate and way: `librivox 16000 engine` → rate. */
  wer: Map<string, number>;
}

export async function recordedSpeech(quick: boolean): Promise<RecordedResult> {
  const all = recordings();
  const chosen = quick ? all.filter((r) => r.set === 'goforward') : all;
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
      for (const recording of chosen) {
        const pcm = onLine(at(rate, recording.pcm), rate);
        const engine = await engineOnly(pcm, rate);
        const pipeline = (await transcribeRecording(pcm, rate)).map((r) => r.text).join(' ');
        // 1.5 s more call after the recording for the last final result.
        const durationMs = Math.ceil((pcm.length / 2 / rate) * 1000) + 1500;
        const result = await placeCall({
          answerUrl: `${server.baseUrl}/webhooks/answer`,
          durationMs,
          talk: 'skip',
          audio: { kind: 'pcm', pcm },
        });
        await ended.get(result.uuid);
        rows.push({
          set: recording.set,
          name: recording.name,
          rate,
          reference: recording.reference,
          engine,
          pipeline,
          call: (heard.get(result.uuid) ?? []).join(' '),
        });
      }
    } finally {
      await server.close();
    }
  }
  const wer = new Map<string, number>();
  for (const set of ['librivox', 'cards', 'goforward'] as const)
    for (const rate of [16000, 8000])
      for (const way of ['engine', 'pipeline', 'call'] as const) {
        const these = rows.filter((r) => r.set === set && r.rate === rate);
        if (these.length === 0) continue;
        const totals = these.map((r) => wordErrors(r.reference, r[way]));
        const errors = totals.reduce((sum, e) => sum + e.substitutions + e.deletions + e.insertions, 0);
        wer.set(`${set} ${rate} ${way}`, errors / totals.reduce((sum, e) => sum + e.words, 0));
      }
  return { rows, wer };
}
