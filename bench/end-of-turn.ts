/**
 * `npm run bench -- --suites end-of-turn` (beside `turns` in one run: `--suites turns,end-of-turn`):
 * the end-of-turn policy (docs/turn-taking.md) against the old fixed 500 ms hangover, on emulated
 * callers whose turns are
 *
 * - **finished**: a recording of the speech-dev set's measuring split, whole (its reader's own pauses
 *   are pauses inside the turn);
 * - **mid-thought**: the same recordings cut at their quietest frame 40–60 % in, "and", "um" or "so"
 *   spoken there (espeak-ng: no recording of them alone is in the set), then a pause of 0.6–1.6 s, then
 *   the rest;
 * - **number**: a phone number in three digit groups with pauses of 0.5–1.4 s between them (espeak-ng
 *   and flite in turn: the set has no digits read out).
 *
 * The pause lengths are a chosen spread, not a measured distribution of callers: the cut rates below
 * follow from them. Each turn has 2 s of line before and 4 s after; the stream is mixed clean and under
 * babble and pink noise at 10 dB (bench/turn-audio.ts), at 16 and 8 kHz, through the WebRTC detector
 * (the default) as a call runs it. The words are the recordings' reference transcripts, placed over
 * their voiced frames in proportion to their letters — not an engine's words, which would only add
 * its errors to a measure of the policy — either as a punctuating engine writes them (a full stop at
 * the end of the turn) or plain, as PocketSphinx does. Truth (where the voice is) is the clean track.
 */
import { resample } from '../src/audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../src/audio/pcm.js';
import { synthesizeSpeech } from '../src/emulator/caller-audio.js';
import { fliteSynthesizer } from '../src/speech/flite.js';
import { adaptiveTurnEnds, fixedTurnEnds, outcomes, type CallerTurn, type TurnKind, type TurnOutcome } from './end-of-turn-score.js';
import { RATE, active, frameDb, isTuning, levelled, loadRecordings, mixAt, noise, type Recording } from './turn-audio.js';
import { detect } from './turns.js';

const FRAME = RATE / 50;
const MID_PAUSES_MS = [600, 800, 1000, 1300, 1600];
const DIGIT_PAUSES_MS = [500, 700, 900, 1100, 1400];
const CONNECTORS = ['and', 'um', 'so'];
const DIGITS = 'zero one two three four five six seven eight nine'.split(' ');
/** A silent run inside a turn at least this long is a pause (shorter: a stop consonant, a breath). */
const MIN_PAUSE_MS = 200;

export const LINES = ['clean', 'babble 10 dB', 'pink 10 dB'] as const;
export const POLICIES = ['fixed 500 ms', 'adaptive'] as const;
export type WordsAs = 'punctuated' | 'plain';

export interface EndOfTurnRow {
  line: (typeof LINES)[number];
  rate: number;
  policy: (typeof POLICIES)[number];
  words: WordsAs;
  outcomes: TurnOutcome[];
}

/** Per 20 ms frame: within 35 dB of the loudest (the turns bench's truth). */
function voicedFrames(x: Float32Array, gateDb: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i + FRAME <= x.length; i += FRAME) out.push(frameDb(x, i) >= gateDb);
  return out;
}

/** The truth's gate: 35 dB under the loudest frame. */
function gateOf(x: Float32Array): number {
  let loudest = -Infinity;
  for (let i = 0; i + FRAME <= x.length; i += FRAME) loudest = Math.max(loudest, frameDb(x, i));
  return loudest - 35;
}

/** `text`'s words over the voiced frames of `x` (placed at `atMs`), each where its share of the letters begins. */
function placeWords(text: string, x: Float32Array, atMs: number, gateDb: number): CallerTurn['words'] {
  const words = text.split(/\s+/).filter(Boolean);
  const voiced = voicedFrames(x, gateDb)
    .map((v, i) => (v ? i : -1))
    .filter((i) => i >= 0);
  const letters = words.reduce((n, w) => n + w.length, 0);
  let before = 0;
  return words.map((word) => {
    const frame = voiced[Math.min(voiced.length - 1, Math.floor((before / letters) * voiced.length))] ?? 0;
    before += word.length;
    return { text: word, startMs: atMs + frame * 20 };
  });
}

async function spoken(text: string, flite: boolean): Promise<Float32Array> {
  if (!flite) return levelled(pcm16ToFloat((await synthesizeSpeech(text, RATE)).pcm));
  const chunks: Buffer[] = [];
  for await (const chunk of fliteSynthesizer.synthesize(text, { sampleRate: RATE })) chunks.push(chunk);
  return levelled(pcm16ToFloat(Buffer.concat(chunks)));
}

/** The voice of `x` only: from its first voiced frame to its last. */
function trimmed(x: Float32Array): Float32Array {
  const { first, last } = active(x);
  return x.slice(first * FRAME, (last + 1) * FRAME);
}

interface Piece {
  samples: Float32Array;
  text: string;
  /** Silence before it, ms. */
  gapMs: number;
}

/** Where the recording's voice is quietest 40–60 % of the way through: a pause or a soft sound, not a vowel. */
function cutPoint(recording: Recording): number {
  const span = recording.endMs - recording.startMs;
  const from = Math.round(((recording.startMs + 0.4 * span) / 1000) * RATE);
  const to = Math.round(((recording.startMs + 0.6 * span) / 1000) * RATE);
  let cut = from;
  for (let i = from; i <= to; i += FRAME) if (frameDb(recording.samples, i) < frameDb(recording.samples, cut)) cut = i;
  return cut;
}

/** The caller stream: each turn's pieces with 2 s of line before and 4 s after; the turns' truth. */
export function assemble(turnPieces: Array<{ kind: TurnKind; pieces: Piece[] }>, words: WordsAs): { voice: Float32Array; turns: CallerTurn[] } {
  const placed: Array<{ at: number; samples: Float32Array }> = [];
  const turns: CallerTurn[] = [];
  let at = 0;
  for (const { kind, pieces } of turnPieces) {
    at += 2 * RATE;
    const turnStart = at;
    const turnWords: CallerTurn['words'] = [];
    const gate = Math.max(...pieces.map((p) => gateOf(p.samples)));
    for (const piece of pieces) {
      at += Math.round((piece.gapMs / 1000) * RATE);
      placed.push({ at, samples: piece.samples });
      turnWords.push(...placeWords(piece.text, piece.samples, (at / RATE) * 1000, gate));
      at += piece.samples.length;
    }
    const voice = new Float32Array(at - turnStart);
    for (const p of placed.filter((p) => p.at >= turnStart)) voice.set(p.samples, p.at - turnStart);
    const voiced = voicedFrames(voice, gate);
    const first = voiced.indexOf(true);
    const last = voiced.lastIndexOf(true);
    const baseMs = (turnStart / RATE) * 1000;
    const pauses: CallerTurn['pauses'] = [];
    for (let f = first, run = 0; f <= last; f++) {
      if (!voiced[f]) run++;
      else if (run > 0) {
        if (run * 20 >= MIN_PAUSE_MS) pauses.push({ fromMs: baseMs + (f - run) * 20, toMs: baseMs + f * 20 });
        run = 0;
      }
    }
    const lastWord = turnWords.at(-1);
    if (lastWord && words === 'punctuated') lastWord.text += '.';
    turns.push({ kind, startMs: baseMs + first * 20, endMs: baseMs + (last + 1) * 20, pauses, words: turnWords });
    at += 4 * RATE;
  }
  const voice = new Float32Array(at);
  for (const p of placed) voice.set(p.samples, p.at);
  return { voice, turns };
}

async function callerTurns(recordings: Recording[]): Promise<Array<{ kind: TurnKind; pieces: Piece[] }>> {
  const out: Array<{ kind: TurnKind; pieces: Piece[] }> = [];
  for (const r of recordings) out.push({ kind: 'finished', pieces: [{ samples: r.samples, text: r.reference, gapMs: 0 }] });
  for (const [i, r] of recordings.entries()) {
    const cut = cutPoint(r);
    const head = r.samples.slice(0, cut);
    const headWords = placeWords(r.reference, r.samples, 0, gateOf(r.samples)).filter((w) => w.startMs < (cut / RATE) * 1000).length;
    const words = r.reference.split(/\s+/);
    const connector = CONNECTORS[i % CONNECTORS.length]!;
    out.push({
      kind: 'mid-thought',
      pieces: [
        { samples: head, text: words.slice(0, headWords).join(' '), gapMs: 0 },
        { samples: trimmed(await spoken(connector, false)), text: connector, gapMs: 60 },
        { samples: r.samples.slice(cut), text: words.slice(headWords).join(' '), gapMs: MID_PAUSES_MS[i % MID_PAUSES_MS.length]! },
      ],
    });
  }
  for (let i = 0; i < recordings.length; i++) {
    // A seeded phone number: 3, 3 and 4 digits.
    const digits = [...String(4155550000 + ((i * 7919 + 1237) % 10000) + i * 1_000_000)].map(Number);
    const groups = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
    const pieces: Piece[] = [];
    for (const [g, group] of groups.entries()) {
      const text = group.map((d) => DIGITS[d]).join(' ');
      pieces.push({ samples: trimmed(await spoken(text, i % 2 === 1)), text, gapMs: g === 0 ? 0 : DIGIT_PAUSES_MS[(i + g) % DIGIT_PAUSES_MS.length]! });
    }
    out.push({ kind: 'number', pieces });
  }
  return out;
}

export async function endOfTurn(options: { dir: string; quick: boolean }, progress: (line: string) => void): Promise<EndOfTurnRow[]> {
  const all = loadRecordings(options.dir);
  let callers = all.filter((r) => !isTuning(r.name));
  const others = all.filter((r) => isTuning(r.name));
  if (options.quick) callers = callers.slice(0, 3);
  const pieces = await callerTurns(callers);
  const rows: EndOfTurnRow[] = [];
  const punctuated = assemble(pieces, 'punctuated');
  const plain = assemble(pieces, 'plain');
  const rates = options.quick ? [16000] : [16000, 8000];
  for (const line of options.quick ? LINES.slice(0, 2) : LINES) {
    const mixed =
      line === 'clean' ? punctuated.voice : mixAt(punctuated.voice, noise(line.startsWith('babble') ? 'babble' : 'pink', punctuated.voice.length, others), 10);
    for (const rate of rates) {
      progress(`end of turn: ${line}, ${rate / 1000} kHz`);
      const pcm = floatToPcm16(rate === RATE ? mixed : resample(mixed, RATE, rate));
      const old = await detect(pcm, rate, { vad: 'webrtc', endSilenceMs: 500 });
      const now = await detect(pcm, rate, { vad: 'webrtc', endSilenceMs: 300 });
      const events = (d: typeof now) => ({ frames: d.voiced.length, starts: d.starts, ends: d.ends });
      rows.push({ line, rate, policy: 'fixed 500 ms', words: 'plain', outcomes: outcomes(fixedTurnEnds(events(old)), plain.turns) });
      for (const [words, stream] of [
        ['punctuated', punctuated],
        ['plain', plain],
      ] as const) {
        rows.push({ line, rate, policy: 'adaptive', words, outcomes: outcomes(adaptiveTurnEnds(events(now), stream.turns), stream.turns) });
      }
    }
  }
  return rows;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

/** The table for docs/benchmarks.md and docs/turn-taking.md: both rates pooled per line. */
export function endOfTurnLines(rows: EndOfTurnRow[], header: string): string[] {
  const kinds: TurnKind[] = ['finished', 'mid-thought', 'number'];
  const lines = [
    header,
    '',
    'Caller’s end of speech → the first turn end after their last pause, p50 / p95 (ms; of the turns that ended before the next began; below 0: the detector took a quiet tail of the voice for silence), and callers cut off mid-thought (a turn end inside a pause of theirs), per kind of turn; 16 and 8 kHz pooled. WebRTC detector.',
    '',
    `| line | end of turn | words | ${kinds.map((k) => `${k} p50 / p95`).join(' | ')} | ${kinds.map((k) => `${k} cut`).join(' | ')} | no end before the next turn |`,
    `|---|---|---|${kinds.map(() => '---|---|').join('')}---|`,
  ];
  for (const line of LINES) {
    for (const [policy, words] of [
      ['fixed 500 ms', 'plain'],
      ['adaptive', 'punctuated'],
      ['adaptive', 'plain'],
    ] as const) {
      const these = rows.filter((r) => r.line === line && r.policy === policy && r.words === words).flatMap((r) => r.outcomes);
      if (these.length === 0) continue;
      const delay = (k: TurnKind) => {
        const ms = these.filter((o) => o.kind === k && o.delayMs !== undefined).map((o) => o.delayMs!);
        return ms.length ? `${percentile(ms, 0.5)} / ${percentile(ms, 0.95)}` : '—';
      };
      const cut = (k: TurnKind) => {
        const of = these.filter((o) => o.kind === k);
        const n = of.filter((o) => o.cut).length;
        return `${n}/${of.length} (${((100 * n) / Math.max(1, of.length)).toFixed(0)} %)`;
      };
      lines.push(
        `| ${line} | ${policy} | ${policy === 'fixed 500 ms' ? '(none)' : words} | ${kinds.map(delay).join(' | ')} | ${kinds.map(cut).join(' | ')} | ${these.filter((o) => o.delayMs === undefined).length}/${these.length} |`,
      );
    }
  }
  return [...lines, ''];
}
