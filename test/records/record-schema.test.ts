/**
 * docs/call-record.schema.json describes the records the builder makes: a record with every field in
 * use, and an hour-long one at its limits, validate against it (zod reads the JSON Schema); a record
 * with a field the schema does not know, or without one it requires, does not. A change to the record
 * that the schema (and its version) does not follow fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CallRecordBuilder } from '../../src/records/record-builder.js';
import { CALL_RECORD_VERSION, RECORD_LIMITS, type CallRecord } from '../../src/records/call-record.js';
import type { CallActivity } from '../../src/call/call-activity.js';
import { ROOT } from '../helpers/cli.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'call-record.schema.json'), 'utf8')) as Record<string, unknown>;
const check = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);

function record(exchanges: number, textLength: number): CallRecord {
  const builder = new CallRecordBuilder();
  const act = (at: number, activity: CallActivity) => builder.add(at, { type: 'activity', activity });
  builder.add(10, { type: 'connected', identity: { uuid: 'u', conversationUuid: 'c', from: '1', to: '2', headers: { uuid: 'u', plan: 'gold' } }, rate: 16000 });
  act(20, { kind: 'direction', direction: 'outbound' });
  act(30, { kind: 'machine-detection', result: 'human' });
  for (let n = 0, at = 100; n < exchanges; n++, at += 5000) {
    const text = `words ${n} `.padEnd(textLength, 'more ');
    builder.add(at, { type: 'speech-start' });
    builder.add(at + 900, { type: 'speech-end' });
    builder.add(at + 1200, { type: 'transcript', startMs: at, endMs: at + 900, text, engine: 'deepgram' });
    act(at + 1300, { kind: 'reply-started', replyId: `r${n}`, by: 'gemini' });
    act(at + 1350, { kind: 'reply-text', replyId: `r${n}`, text });
    act(at + 1500, { kind: 'reply-audio', replyId: `r${n}` });
    act(at + 1520, { kind: 'reply-latency', replyId: `r${n}`, totalMs: 620, providerMs: 600, oursMs: 20 });
    act(at + 1600, { kind: 'tool-call', callId: `c${n}`, name: 'search', arguments: { q: text } });
    act(at + 1700, { kind: 'tool-result', callId: `c${n}`, name: 'search', result: text, failed: true });
    act(at + 3000, { kind: 'interrupted', replyId: `r${n}`, heardMs: 1500, sentMs: 4000, by: 'model' });
    builder.add(at + 3500, { type: 'dtmf', digit: '9', durationMs: 80 });
    act(at + 3600, { kind: 'dtmf-sent', digits: '1' });
    act(at + 3700, { kind: 'error', code: 'VS_ERR_AGENT_MODEL_ERROR', message: 'voice agent model reported an error', detail: 'busy' });
    act(at + 3800, { kind: 'transfer', to: '447700900123', mode: 'warm', detail: 'to sales' });
  }
  const durationMs = 100 + exchanges * 5000;
  return builder.build({
    id: 'id',
    callId: 'call',
    app: 'agent',
    instance: 'h:1',
    startedAt: 0,
    endedAt: durationMs,
    durationMs,
    closeCode: 1006,
    closeReason: '',
    result: 'dropped',
    legStatus: 'completed',
    legEvents: [{ kind: 'record', timestamp: '1970-01-01T00:00:01.000Z', raw: { recording_url: 'https://api.nexmo.com/v1/files/x' } }],
    stats: { framesIn: 1, framesOut: 2, framesDropped: 0, dtmfIn: 1, textRejected: 0, pacerUnderruns: 3 },
    recording: {
      path: '/r/x.wav',
      file: 'x.wav',
      sampleRate: 16000,
      channels: ['caller', 'app'],
      startMs: 10,
      durationMs: 900,
      stopped: { atMs: 910, code: 'VS_ERR_RECORDING_FAILED', detail: 'ENOSPC' },
    },
    analysis: { status: 'done', model: 'm', summary: 's', outcome: 'transferred', fields: { a: 1 }, durationMs: 300 },
  });
}

test('records the builder makes validate against docs/call-record.schema.json: every field in use, and an hour at the limits', () => {
  const full = record(3, 40);
  assert.equal(full.version, CALL_RECORD_VERSION);
  assert.ok(full.call.headers && full.machineDetection && full.transfers.length && full.vonageRecordings.length && full.recording?.stopped);
  check.parse(full);
  const hour = record(720, RECORD_LIMITS.textChars * 2);
  assert.ok(hour.truncated.length > 0);
  check.parse(hour);
});

test('the schema refuses a field it does not know and a missing one it requires (it would catch a record that changed without it)', () => {
  const full = record(1, 10);
  assert.equal(check.safeParse({ ...full, surprise: 1 }).success, false);
  const { turns: _turns, ...withoutTurns } = full;
  assert.equal(check.safeParse(withoutTurns).success, false);
  assert.equal(check.safeParse({ ...full, turns: [{ ...full.turns[0]!, speaker: 'robot' }] }).success, false);
  assert.equal(check.safeParse({ ...full, version: 2 }).success, false);
});
