/**
 * The eval judge, pure: response times and talk-over from a caller's log on its 20 ms clock, phrases
 * by keyword, tools, who hung up; and the noise under a caller at the SNR asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, listenFor } from '../../src/eval/judge.js';
import type { CallerLog } from '../../src/eval/scripted-caller.js';
import { noiseTrack } from '../../src/eval/noise.js';

/** A log whose agent sounds over `[fromMs, toMs)` stretches, for `totalMs`. */
function log(lines: CallerLog['lines'], agent: Array<[number, number]>, totalMs: number): CallerLog {
  const agentSounding = Array.from({ length: totalMs / 20 }, (_, k) => agent.some(([from, to]) => k * 20 >= from && k * 20 < to));
  return { lines, agentSounding, hungUp: false, notReached: 0 };
}

const say = (index: number, startMs: number, endMs: number, interrupt = false) => ({
  index,
  kind: 'say' as const,
  text: 'x',
  startMs,
  endMs,
  interrupt,
  timedOut: false,
});

test('response time is the caller’s end of speech to the agent’s next onset; talk-over is agent audio inside the caller’s line', () => {
  const observed = log(
    [say(0, 2000, 2600), say(1, 5000, 5400, true)],
    [
      [0, 1500],
      [3800, 6000],
    ],
    8000,
  );
  const { checks, measured } = judge({ log: observed, heard: [], tools: [], endedBy: 'agent', problems: [] }, { maxResponse: 1000, maxTalkOver: 300 });
  assert.deepEqual(measured.responsesMs, [1200], 'the interruption is not a line awaiting a reply');
  assert.deepEqual(measured.talkOverMs, [0, 400]);
  const byName = Object.fromEntries(checks.map((check) => [check.name, check]));
  assert.equal(byName.response!.pass, false);
  assert.match(byName.response!.detail, /responses 1200 ms \(bound 1000 ms\)/);
  assert.equal(byName['talk-over']!.pass, false);
  assert.match(byName['talk-over']!.detail, /0 ms, 400 ms \(tolerance 300 ms\)/);
});

test('a line the agent never answered fails the response bound once the caller waited it out; not before', () => {
  const waited = judge({ log: log([say(0, 1000, 1500)], [], 5000), heard: [], tools: [], endedBy: 'time-limit', problems: [] }, { maxResponse: 2000 });
  assert.match(waited.checks.find((c) => c.name === 'response')!.detail, /no reply to line 1/);
  const left = judge(
    {
      log: log([say(0, 1000, 1500), { index: 1, kind: 'hangup', startMs: 1800, interrupt: false, timedOut: false }], [], 1900),
      heard: [],
      tools: [],
      endedBy: 'caller',
      problems: [],
    },
    { maxResponse: 2000, hangup: 'caller' },
  );
  assert.match(left.checks.find((c) => c.name === 'response')!.detail, /no caller line was answered/);
  assert.equal(left.checks.find((c) => c.name === 'hangup')!.pass, true);
});

test('phrases pass on their keywords in a phrase heard, tools on the record, hangup on who ended it', () => {
  const expect = {
    says: ['Hello! How can I help you today?', { phrases: ['Your order ships Monday.'], keywords: ['monday'] }, 'Goodbye.'],
    mayAlsoSay: ['Please hold.'],
    tools: ['lookup_order', 'hang_up'],
    hangup: 'agent' as const,
  };
  assert.deepEqual(listenFor(expect), ['hello how can i help you today', 'your order ships monday', 'goodbye', 'please hold']);
  const { checks } = judge(
    { log: log([], [], 1000), heard: ['hello how can i help you today', 'your order ships monday'], tools: ['lookup_order'], endedBy: 'caller', problems: [] },
    expect,
  );
  assert.deepEqual(
    checks.map((c) => [c.name, c.pass]),
    [
      ['call', true],
      ['says', true],
      ['says', true],
      ['says', false],
      ['tools', false],
      ['hangup', false],
    ],
  );
  assert.match(checks[3]!.detail, /"Goodbye\.": not heard; heard "hello how can i help you today", "your order ships monday"/);
  assert.match(checks[4]!.detail, /hang_up not called; called: lookup_order/);
  const unknown = judge({ log: log([], [], 1000), heard: [], tools: { error: 'no record' }, endedBy: 'agent', problems: [] }, { tools: ['hang_up'] });
  assert.match(unknown.checks[1]!.detail, /tools hang_up: no record/);
});

test('noise is laid under the caller at the SNR asked for, for each kind', () => {
  const speech = Buffer.alloc(16000 * 2);
  for (let i = 0; i < 16000; i++) speech.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16000)), i * 2);
  const speechRms = 8000 / Math.SQRT2;
  for (const kind of ['white', 'pink', 'brown'] as const) {
    const track = noiseTrack({ kind, snr: 10 }, speech, 16000, 2000);
    let sum = 0;
    for (let i = 0; i < track.length; i += 2) sum += track.readInt16LE(i) ** 2;
    const snr = 20 * Math.log10(speechRms / Math.sqrt(sum / (track.length / 2)));
    // The sine's samples under the whisper threshold are left out of its level: a fraction of a dB.
    assert.ok(Math.abs(snr - 10) < 0.5, `${kind}: ${snr.toFixed(2)} dB`);
  }
});
