import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptiveTurnEnds, fixedTurnEnds, outcomes, type CallerTurn, type SpeechEvents } from '../../bench/end-of-turn-score.js';
import { assemble } from '../../bench/end-of-turn.js';

/** The detector's events for voice over [from, to) ms spans (onset said at the third voiced frame, as 3 of 4 do). */
function detector(spans: Array<[number, number]>, endSilenceMs: number, totalMs: number): SpeechEvents {
  return {
    frames: totalMs / 20,
    starts: spans.map(([from]) => ({ frame: from / 20 + 2, atMs: from })),
    ends: spans.map(([, to]) => ({ frame: to / 20 + endSilenceMs / 20 - 1, atMs: to })),
  };
}

const words = (list: Array<[string, number]>) => list.map(([text, startMs]) => ({ text, startMs }));

// A caller: "i want to order and", 800 ms of pause, "a pizza." — one turn, 0–2600 ms.
const midThought = (last: string): CallerTurn => ({
  kind: 'mid-thought',
  startMs: 0,
  endMs: 2600,
  pauses: [{ fromMs: 1000, toMs: 1800 }],
  words: words([
    ['i', 0],
    ['want', 200],
    ['to', 400],
    ['order', 600],
    ['and', 800],
    ['a', 1800],
    [last, 2200],
  ]),
});
const spans: Array<[number, number]> = [
  [0, 1000],
  [1800, 2600],
];

test('end-of-turn bench core: the fixed hangover cuts the caller in an 800 ms pause; the adaptive one waits after "and" and ends 300 ms after a full stop', () => {
  const turn = midThought('pizza.');
  const fixed = fixedTurnEnds(detector(spans, 500, 6000));
  assert.deepEqual(fixed, [1500, 3100], 'each 500 ms of silence ends a turn');
  assert.deepEqual(outcomes(fixed, [turn]), [{ kind: 'mid-thought', delayMs: 500, cut: true }]);

  const adaptive = adaptiveTurnEnds(detector(spans, 300, 6000), [turn]);
  assert.deepEqual(adaptive, [2900], '"and" holds the turn 1200 ms; "pizza." ends it after 300');
  assert.deepEqual(outcomes(adaptive, [turn]), [{ kind: 'mid-thought', delayMs: 300, cut: false }]);
});

test('end-of-turn bench core: plain words end at the base 500 ms, an engine 400 ms late ends the turn when its final comes, a number holds 1500 ms', () => {
  const plain = midThought('pizza');
  assert.deepEqual(outcomes(adaptiveTurnEnds(detector(spans, 300, 6000), [plain]), [plain]), [{ kind: 'mid-thought', delayMs: 500, cut: false }]);
  const late = midThought('pizza.');
  assert.deepEqual(adaptiveTurnEnds(detector(spans, 300, 6000), [late], {}, 400), [3300], 'the final at 2900 + 400 ms');

  const number: CallerTurn = {
    kind: 'number',
    startMs: 0,
    endMs: 2400,
    pauses: [{ fromMs: 600, toMs: 1800 }],
    words: words([
      ['four', 0],
      ['one', 200],
      ['five', 400],
      ['five', 1800],
      ['five', 2000],
      ['five', 2200],
    ]),
  };
  const numberSpans: Array<[number, number]> = [
    [0, 600],
    [1800, 2400],
  ];
  assert.deepEqual(outcomes(fixedTurnEnds(detector(numberSpans, 500, 6000)), [number]), [{ kind: 'number', delayMs: 500, cut: true }]);
  assert.deepEqual(outcomes(adaptiveTurnEnds(detector(numberSpans, 300, 6000), [number]), [number]), [{ kind: 'number', delayMs: 1500, cut: false }]);
});

test('end-of-turn bench core: a turn end after the next turn began is not this turn’s; one inside its pause cuts it; none at all is reported as none', () => {
  const first: CallerTurn = { kind: 'finished', startMs: 0, endMs: 1000, pauses: [], words: [] };
  const second: CallerTurn = { kind: 'finished', startMs: 3000, endMs: 4000, pauses: [{ fromMs: 3400, toMs: 3600 }], words: [] };
  assert.deepEqual(outcomes([3500, 4200], [first, second]), [
    { kind: 'finished', delayMs: undefined, cut: false },
    { kind: 'finished', delayMs: 200, cut: true },
  ]);
});

test('end-of-turn bench audio: a turn’s truth (voice, the pause inside it, the words over the voiced frames)', () => {
  const tone = (ms: number) => Float32Array.from({ length: (ms / 1000) * 16000 }, (_, i) => 0.1 * Math.sin(i / 3));
  const pieces = [
    { samples: tone(1000), text: 'one two', gapMs: 0 },
    { samples: tone(500), text: 'three', gapMs: 700 },
  ];
  const { voice, turns } = assemble([{ kind: 'number', pieces }], 'punctuated');
  assert.equal(voice.length, ((2000 + 2200 + 4000) / 1000) * 16000, '2 s of line before, 4 s after');
  const [turn] = turns;
  assert.equal(turn!.startMs, 2000);
  assert.equal(turn!.endMs, 4200);
  assert.deepEqual(turn!.pauses, [{ fromMs: 3000, toMs: 3700 }]);
  assert.deepEqual(
    turn!.words,
    words([
      ['one', 2000],
      ['two', 2500],
      ['three.', 3700],
    ]),
    'letters share the voiced time; a full stop at the end',
  );
});
