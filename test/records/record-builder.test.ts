/**
 * The call record builder, fed timed events as the journal gives them: turns of both sides, what the
 * caller heard of a cut reply, interruptions, tools, digits, faults, latency; and an hour-long call
 * whose record stays bounded, with what was left out listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallRecordBuilder, type CallFacts } from '../../src/records/record-builder.js';
import { MAX_RECORD_BYTES, RECORD_LIMITS } from '../../src/records/call-record.js';
import type { CallActivity } from '../../src/call/call-activity.js';

const IDENTITY = { uuid: 'leg-1', conversationUuid: 'CON-1', from: '447700900001', to: '447700900000', headers: { uuid: 'leg-1', plan: 'gold' } };

function facts(durationMs: number, extra: Partial<CallFacts> = {}): CallFacts {
  return {
    id: 'record-1',
    callId: 'call-1',
    app: 'agent',
    instance: 'host:1',
    startedAt: Date.parse('2026-01-02T03:04:05.000Z'),
    endedAt: Date.parse('2026-01-02T03:04:05.000Z') + durationMs,
    durationMs,
    closeCode: 1000,
    closeReason: 'hangup',
    result: 'normal',
    stats: { framesIn: 1, framesOut: 1, framesDropped: 0, dtmfIn: 1, textRejected: 0, pacerUnderruns: 0 },
    recording: null,
    analysis: { status: 'skipped', reason: 'none' },
    ...extra,
  };
}

const act = (builder: CallRecordBuilder, atMs: number, activity: CallActivity, playsUntilMs?: number) =>
  builder.add(atMs, { type: 'activity', activity, ...(playsUntilMs !== undefined ? { playsUntilMs } : {}) });

test("an agent call: both sides' turns in order, the cut reply's heard words, the interruption, a tool, a digit, a fault, latency", () => {
  const builder = new CallRecordBuilder();
  builder.add(40, { type: 'connected', identity: IDENTITY, rate: 16000 });
  // The greeting plays in full: its maker was done at 900 ms with 1.5 s still queued.
  act(builder, 100, { kind: 'reply-started', replyId: 'r1', by: 'cascade' });
  act(builder, 300, { kind: 'reply-text', replyId: 'r1', text: 'Hello, how can I help?' });
  act(builder, 450, { kind: 'reply-audio', replyId: 'r1' });
  act(builder, 900, { kind: 'reply-done', replyId: 'r1' }, 2400);
  builder.add(3000, { type: 'speech-start' });
  builder.add(4200, { type: 'speech-end' });
  builder.add(4900, { type: 'transcript', startMs: 3020, endMs: 4150, text: 'where is my order', engine: 'pocketsphinx' });
  act(builder, 4905, { kind: 'caller-text', text: 'where is my order' });
  act(builder, 4910, { kind: 'reply-started', replyId: 'r2', by: 'cascade' });
  act(builder, 5300, {
    kind: 'reply-text',
    replyId: 'r2',
    text: 'Let me look that up for you. Your order left our shop on Monday and should arrive tomorrow.',
  });
  act(builder, 5500, { kind: 'reply-audio', replyId: 'r2' });
  act(builder, 5520, { kind: 'reply-latency', replyId: 'r2', totalMs: 1320, providerMs: 1300, oursMs: 20 });
  act(builder, 5600, { kind: 'tool-call', callId: 'c1', name: 'lookup_order', arguments: { order: '42' } });
  act(builder, 5650, { kind: 'tool-result', callId: 'c1', name: 'lookup_order', result: '{"status":"shipped"}' });
  builder.add(7000, { type: 'speech-start' });
  act(builder, 7010, { kind: 'clear' });
  act(builder, 7010, { kind: 'interrupted', replyId: 'r2', heardMs: 1500, sentMs: 6000, by: 'speech' });
  builder.add(7400, { type: 'dtmf', digit: '5', durationMs: 120 });
  act(builder, 7500, { kind: 'error', code: 'VS_ERR_AGENT_MODEL_ERROR', message: 'voice agent model reported an error', detail: 'overloaded' });
  const record = builder.build(facts(9000, { legStatus: 'completed', direction: 'inbound' }));

  assert.equal(record.type, 'voicesocket.call-record');
  assert.equal(record.version, 1);
  assert.deepEqual(record.call, {
    id: 'call-1',
    uuid: 'leg-1',
    conversationUuid: 'CON-1',
    from: '447700900001',
    to: '447700900000',
    direction: 'inbound',
    headers: { plan: 'gold' },
    rate: 16000,
    app: 'agent',
    instance: 'host:1',
  });
  assert.equal(record.connectedMs, 40);
  assert.equal(record.startedAt, '2026-01-02T03:04:05.000Z');
  assert.deepEqual(
    record.turns.map((turn) => [turn.speaker, turn.startMs, turn.endMs]),
    [
      ['agent', 450, 2400],
      ['caller', 3000, 4200],
      ['agent', 5500, 7010],
      ['caller', 7000, 9000],
    ],
  );
  const [greeting, asked, cut] = record.turns;
  assert.equal(greeting!.cut, undefined);
  assert.equal(asked!.text, 'where is my order', "the provider's copy of our own transcript is not a second turn");
  assert.equal(asked!.by, 'pocketsphinx');
  assert.equal(asked!.transcribedMs, 4900);
  assert.equal(cut!.cut, 'barge-in');
  assert.equal(cut!.heardMs, 1500);
  // A quarter of the audio heard: the words of the first quarter of the text, to a word's end.
  assert.equal(cut!.heard, 'Let me look that up');
  assert.deepEqual(cut!.latency, { totalMs: 1320, providerMs: 1300, oursMs: 20 });
  assert.deepEqual(cut!.timings, { requestedMs: 4910, firstTextMs: 5300, firstAudioMs: 5500 });
  assert.deepEqual(record.interruptions, [{ atMs: 7010, replyId: 'r2', heardMs: 1500, sentMs: 6000, by: 'speech' }]);
  assert.deepEqual(record.toolCalls, [
    { atMs: 5600, endMs: 5650, callId: 'c1', name: 'lookup_order', arguments: { order: '42' }, result: '{"status":"shipped"}' },
  ]);
  assert.deepEqual(record.dtmf, [{ atMs: 7400, digit: '5', direction: 'in', durationMs: 120 }]);
  assert.deepEqual(record.errors, [{ atMs: 7500, code: 'VS_ERR_AGENT_MODEL_ERROR', message: 'voice agent model reported an error', detail: 'overloaded' }]);
  assert.deepEqual(record.errorCounts, { VS_ERR_AGENT_MODEL_ERROR: 1 });
  assert.deepEqual(record.latency, { replies: 1, medianMs: 1320, maxMs: 1320 });
  assert.deepEqual(record.outcome, { result: 'normal', closeCode: 1000, closeReason: 'hangup', legStatus: 'completed' });
  assert.deepEqual(record.truncated, []);
});

test("a say() cut by the app's clear: the interruption is at the clear, the heard words from its length; a say's latency from the caller's end", () => {
  const builder = new CallRecordBuilder();
  builder.add(0, { type: 'connected', identity: IDENTITY, rate: 8000 });
  builder.add(1000, { type: 'speech-start' });
  builder.add(1800, { type: 'speech-end' });
  builder.add(2300, { type: 'transcript', startMs: 1000, endMs: 1800, text: 'sales', engine: 'pocketsphinx' });
  act(builder, 2310, { kind: 'reply-started', replyId: 'say-1', by: 'say' });
  act(builder, 2310, { kind: 'reply-text', replyId: 'say-1', text: 'Connecting you to sales. Please hold the line.' });
  act(builder, 2600, { kind: 'reply-audio', replyId: 'say-1' });
  act(builder, 3600, { kind: 'clear' });
  act(builder, 3700, { kind: 'reply-done', replyId: 'say-1', sentMs: 3000, heardMs: 1000, cut: 'barge-in' });
  const record = builder.build(facts(5000));
  const reply = record.turns.find((turn) => turn.speaker === 'agent')!;
  assert.equal(reply.endMs, 3600);
  assert.equal(reply.heard, 'Connecting you');
  assert.deepEqual(reply.latency, { totalMs: 800 });
  assert.deepEqual(record.interruptions, [{ atMs: 3600, replyId: 'say-1', heardMs: 1000, sentMs: 3000, by: 'app' }]);
});

test('a reply still playing when the call ends was cut by the hang-up; telephony events and Vonage’s own events fill their fields', () => {
  const builder = new CallRecordBuilder();
  builder.add(0, { type: 'connected', identity: IDENTITY, rate: 16000 });
  act(builder, 10, { kind: 'direction', direction: 'outbound' });
  act(builder, 20, { kind: 'machine-detection', result: 'machine', detail: 'beep' });
  act(builder, 100, { kind: 'reply-started', replyId: 'r1', by: 'openai' });
  act(builder, 200, { kind: 'reply-audio', replyId: 'r1' });
  act(builder, 900, { kind: 'transfer', to: '447700900123', mode: 'cold' });
  act(builder, 950, { kind: 'dtmf-sent', digits: '12' });
  const record = builder.build(
    facts(1000, {
      legEvents: [
        { kind: 'status', status: 'human', timestamp: '2026-01-02T03:04:05.500Z', raw: {} },
        { kind: 'record', timestamp: '2026-01-02T03:04:06.000Z', raw: { recording_url: 'https://api.nexmo.com/v1/files/abc' } },
      ],
    }),
  );
  assert.equal(record.call.direction, 'outbound');
  assert.deepEqual(record.machineDetection, { atMs: 20, result: 'machine', detail: 'beep' }, 'the layer that knows wins over the webhook');
  assert.deepEqual(record.transfers, [{ atMs: 900, to: '447700900123', mode: 'cold' }]);
  assert.deepEqual(
    record.dtmf.map((press) => [press.digit, press.direction]),
    [
      ['1', 'out'],
      ['2', 'out'],
    ],
  );
  assert.deepEqual(record.vonageRecordings, [{ atMs: 1000, url: 'https://api.nexmo.com/v1/files/abc' }]);
  const reply = record.turns[0]!;
  assert.equal(reply.cut, 'hangup');
  assert.equal(reply.endMs, 1000);
});

test('an hour-long call: the record stays under its bound, keeps how it began and ended, and says what it left out', (t) => {
  const builder = new CallRecordBuilder();
  builder.add(0, { type: 'connected', identity: IDENTITY, rate: 16000 });
  const long = (n: number) => `turn ${n} `.padEnd(RECORD_LIMITS.textChars * 3, 'word ');
  let replies = 0;
  // An exchange every 5 s for an hour, every reply cut, a tool call with large arguments every
  // exchange, a digit and a fault every second: every list past its limit, every text past its own.
  for (let at = 1000; at < 3_600_000; at += 5000) {
    builder.add(at, { type: 'speech-start' });
    builder.add(at + 1500, { type: 'speech-end' });
    builder.add(at + 1900, { type: 'transcript', startMs: at, endMs: at + 1500, text: long(at), engine: 'deepgram' });
    const replyId = `r${++replies}`;
    act(builder, at + 2000, { kind: 'reply-started', replyId, by: 'cascade' });
    act(builder, at + 2100, { kind: 'reply-text', replyId, text: long(replies) });
    act(builder, at + 2300, { kind: 'reply-audio', replyId });
    act(builder, at + 2310, { kind: 'reply-latency', replyId, totalMs: 800, providerMs: 780, oursMs: 20 });
    act(builder, at + 2400, { kind: 'tool-call', callId: replyId, name: 'search', arguments: { query: long(replies) } });
    act(builder, at + 2500, { kind: 'tool-result', callId: replyId, name: 'search', result: long(replies) });
    act(builder, at + 4000, { kind: 'interrupted', replyId, heardMs: 1700, sentMs: 9000, by: 'speech' });
    for (let second = 0; second < 5; second++) {
      builder.add(at + second * 1000, { type: 'dtmf', digit: '1' });
      act(builder, at + second * 1000, {
        kind: 'error',
        code: 'VS_ERR_AGENT_MODEL_ERROR',
        message: 'voice agent model reported an error',
        detail: long(second),
      });
    }
  }
  const record = builder.build(facts(3_600_000));
  const bytes = Buffer.byteLength(JSON.stringify(record));
  assert.ok(bytes < MAX_RECORD_BYTES, `${bytes} bytes`);
  assert.equal(record.turns.length, RECORD_LIMITS.turns);
  assert.equal(record.turns[0]!.startMs, 1000, 'the first turn is kept');
  assert.equal(record.turns.at(-1)!.startMs, 3_596_000 + 2300, 'and the last');
  assert.ok(record.turns.every((turn) => turn.text.length <= RECORD_LIMITS.textChars));
  assert.equal(record.toolCalls.length, RECORD_LIMITS.toolCalls);
  assert.equal(record.errors.length, RECORD_LIMITS.errors);
  assert.equal(record.errorCounts.VS_ERR_AGENT_MODEL_ERROR, 3600, 'every fault counted');
  assert.equal(record.latency.replies, RECORD_LIMITS.turns / 2);
  const fields = Object.fromEntries(record.truncated.map((note) => [note.field, note]));
  assert.deepEqual(
    Object.keys(fields).sort(),
    ['dtmf', 'errors', 'interruptions', 'toolCalls', 'toolCalls[].arguments,result', 'turns', 'turns[].text'].sort(),
  );
  assert.equal(fields.turns!.dropped, 2 * replies - RECORD_LIMITS.turns);
  assert.match(fields.turns!.reason, /first and last 200 are kept/);
  t.diagnostic(`an hour of ${replies} exchanges: ${Math.round(bytes / 1024)} KB`);
});
