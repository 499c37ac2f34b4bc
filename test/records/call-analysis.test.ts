/**
 * Post-call analysis through the official `openai` SDK against a local server speaking the
 * chat-completions protocol (test/helpers/fake-chat-completions.ts): the summary, the outcome label
 * and the user's schema's fields in the record; an answer outside the schema, a model that fails or
 * does not answer in time, each a failure with its reason; skipped with a reason when there is
 * nothing to analyse or no model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallAnalyst } from '../../src/records/call-analysis.js';
import { CallRecordBuilder, type CallFacts } from '../../src/records/record-builder.js';
import type { CallRecord } from '../../src/records/call-record.js';
import type { CallSession } from '../../src/call/call-session.js';
import { placeCall } from '../../src/emulator/call.js';
import { startFakeChat, type ChatTurn } from '../helpers/fake-chat-completions.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { ROOT } from '../helpers/cli.js';

const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'docs', 'examples', 'analysis-schema.json'), 'utf8')) as Record<string, unknown>;
const ANSWER = {
  summary: 'A caller asked where order 42 was; it had shipped.',
  outcome: 'resolved',
  fields: { reason: 'order status', order_number: '42', callback_requested: false },
};

function aCall(): CallRecord {
  const builder = new CallRecordBuilder();
  builder.add(0, { type: 'connected', identity: { uuid: 'u', conversationUuid: 'c', from: '1', to: '2', headers: {} }, rate: 16000 });
  builder.add(1000, { type: 'speech-start' });
  builder.add(2000, { type: 'speech-end' });
  builder.add(2400, { type: 'transcript', startMs: 1000, endMs: 2000, text: 'where is order forty two', engine: 'pocketsphinx' });
  const act = (at: number, activity: Parameters<CallRecordBuilder['add']>[1] & { type: 'activity' }) => builder.add(at, activity);
  act(2500, { type: 'activity', activity: { kind: 'reply-started', replyId: 'r', by: 'cascade' } });
  act(2600, { type: 'activity', activity: { kind: 'reply-text', replyId: 'r', text: 'It shipped on Monday and arrives tomorrow before noon.' } });
  act(2700, { type: 'activity', activity: { kind: 'reply-audio', replyId: 'r' } });
  act(3500, { type: 'activity', activity: { kind: 'interrupted', replyId: 'r', heardMs: 1000, sentMs: 4000, by: 'speech' } });
  const facts: CallFacts = {
    id: 'r1',
    callId: 'c1',
    app: 'agent',
    instance: 'h',
    startedAt: 0,
    endedAt: 5000,
    durationMs: 5000,
    closeCode: 1000,
    closeReason: '',
    result: 'normal',
    stats: { framesIn: 0, framesOut: 0, framesDropped: 0, dtmfIn: 0, textRejected: 0, pacerUnderruns: 0 },
    recording: null,
    analysis: { status: 'skipped', reason: '' },
  };
  return builder.build(facts);
}

async function fake(t: { after(fn: () => Promise<void>): void }, turns: ChatTurn[]) {
  const chat = await startFakeChat({ turns });
  t.after(() => chat.close());
  return chat;
}

test("the analysis: summary, outcome and the schema's fields, asked for as structured output with the transcript and what was cut", async (t) => {
  const chat = await fake(t, [{ say: JSON.stringify(ANSWER) }]);
  const analyst = new CallAnalyst({ model: 'fake-model', baseUrl: chat.baseUrl, apiKey: chat.apiKey, schema: SCHEMA });
  const analysis = await analyst.analyse(aCall());
  assert.equal(analysis.status, 'done', analysis.reason);
  assert.equal(analysis.summary, ANSWER.summary);
  assert.equal(analysis.outcome, 'resolved');
  assert.deepEqual(analysis.fields, ANSWER.fields);
  assert.equal(analysis.model, 'fake-model');
  const [request] = chat.requests;
  assert.equal(request!.stream, false);
  const format = request!.responseFormat as { type: string; json_schema: { schema: { properties: { fields: unknown } } } };
  assert.equal(format.type, 'json_schema');
  assert.deepEqual(format.json_schema.schema.properties.fields, SCHEMA, "the user's schema is what the model fills");
  const transcript = request!.messages.at(-1)!.content!;
  assert.match(transcript, /\[1\.0s\] caller: where is order forty two/);
  assert.match(transcript, /\[2\.7s\] agent: It shipped on \[cut\]/, 'the model reads what the caller heard of the cut reply');
});

test('answers that are not the analysis fail with their reason; a model that errs or does not answer in time fails; nothing said is skipped', async (t) => {
  const wrongField = { ...ANSWER, fields: { ...ANSWER.fields, callback_requested: 'maybe' } };
  const chat = await fake(t, [{ say: JSON.stringify(wrongField) }]);
  const analyst = (model: string, timeoutMs?: number) =>
    new CallAnalyst({ model, baseUrl: chat.baseUrl, apiKey: chat.apiKey, schema: SCHEMA, ...(timeoutMs ? { timeoutMs } : {}) });
  const outside = await analyst('fake-model').analyse(aCall());
  assert.equal(outside.status, 'failed');
  assert.match(outside.reason!, /fields do not fit the schema: callback_requested/);
  const notJson = new CallAnalyst({ model: 'fake-model', baseUrl: (await fake(t, [{ say: 'Sure! Here is a summary.' }])).baseUrl, apiKey: 'sk-chat-fake' });
  assert.match((await notJson.analyse(aCall())).reason!, /not JSON/);
  const erring = await analyst('fake-error').analyse(aCall());
  assert.equal(erring.status, 'failed');
  assert.match(erring.reason!, /the model failed: 500/);
  const started = performance.now();
  const stalled = await analyst('fake-stall', 400).analyse(aCall());
  assert.equal(stalled.status, 'failed');
  assert.match(stalled.reason!, /did not answer within 0\.4 s/);
  // Bounded by its timeout: one retry is allowed within it, no more (a second's slack for a busy machine).
  assert.ok(performance.now() - started < 1400, `${Math.round(performance.now() - started)} ms`);
  const silent = { ...aCall(), turns: [] };
  assert.deepEqual(await analyst('fake-model').analyse(silent), { status: 'skipped', reason: 'nothing was said on the call', model: 'fake-model' });
});

test('the server analyses each call with --analysis-model at --analysis-url and writes it into the record, its label in the outcome', async (t) => {
  const chat = await fake(t, [
    { say: JSON.stringify({ ...ANSWER, outcome: 'other', fields: { reason: 'a greeting', order_number: null, callback_requested: false } }) },
  ]);
  const callRecords = mkdtempSync(join(tmpdir(), 'vs-analysed-'));
  const app = (session: CallSession) => session.once('connected', () => void session.say('Hello. Goodbye.').then(() => session.hangup()));
  const server = await startTestServer({
    app,
    config: {
      callRecords,
      analysisModel: 'fake-model',
      analysisUrl: chat.baseUrl,
      analysisSchema: join(ROOT, 'docs', 'examples', 'analysis-schema.json'),
      // The key, as OPENAI_API_KEY gives it (LLM_API_KEY would win, as for the cascade).
      openaiApiKey: chat.apiKey,
    },
  });
  t.after(() => server.close());
  await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 5000, talk: 'skip' });
  await waitFor(() => readdirSync(callRecords).some((name) => name.endsWith('.json')), 10_000, 'the record');
  const record = JSON.parse(
    readFileSync(
      join(
        callRecords,
        readdirSync(callRecords).find((name) => name.endsWith('.json'))!,
      ),
      'utf8',
    ),
  ) as CallRecord;
  assert.equal(record.analysis.status, 'done', record.analysis.reason);
  assert.deepEqual(record.analysis.fields, { reason: 'a greeting', order_number: null, callback_requested: false });
  assert.equal(record.outcome.label, 'other');
  assert.match(chat.requests[0]!.messages.at(-1)!.content!, /agent: Hello\. Goodbye\./);
});
