import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeCall } from '../../src/emulator/call.js';
import { parrot, transcribeCalls, voiceMenu } from '../../src/apps/index.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { TranscriptEvent } from '../../src/speech/speech-events.js';
import { speechEngines } from '../../src/speech/engines.js';
import { startTestServer } from '../helpers/server.js';

function menu(chosen: Array<{ choice: string; by: string }>) {
  return voiceMenu({
    choices: ['sales', 'support', 'operator'],
    timeoutMs: 3000,
    attempts: 3,
    onChoice: (session, choice, by) => {
      chosen.push({ choice, by });
      session.hangup(1000, 'menu: transferred');
    },
  });
}

test('voice-menu: a caller who says "support" over the prompt is routed to support, and hears no more of the prompt', async (t) => {
  const chosen: Array<{ choice: string; by: string }> = [];
  const server = await startTestServer({ app: menu(chosen) });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 15_000,
    talk: 'skip',
    audio: { kind: 'script', utterances: [{ text: 'support', atMs: 1500 }], noiseSnrDb: 20 },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(chosen, [{ choice: 'support', by: 'speech' }]);
  const leg = result.leg!;
  assert.equal(leg.end, 'app-closed');
  assert.equal(leg.closeCode, 1000);
  // The caller spoke over the prompt (it lasts ~4 s): barge-in cleared it.
  assert.ok(leg.clears >= 1, `clears: ${leg.clears}`);
  assert.ok(server.logs.some((line) => line.msg === 'voice menu choice' && line.choice === 'support'));
});

test('voice-menu: DTMF is the fallback, silence gets a re-prompt, and an engine that cannot start leaves DTMF working', async (t) => {
  const chosen: Array<{ choice: string; by: string }> = [];
  // A PocketSphinx with no model: every call's transcriber fails at start.
  const server = await startTestServer({ app: menu(chosen), speech: speechEngines({ pocketsphinx: { model: '/nonexistent' } }) });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 20_000,
    talk: 'skip',
    // The prompt (~4 s) plays, 3 s of silence, the re-prompt (~5 s) to its end, then key 2.
    dtmf: [{ digit: '2', atMs: 14_000 }],
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(chosen, [{ choice: 'support', by: 'dtmf' }]);
  const failure = server.logs.find((line) => line.code === 'VS_ERR_SPEECH_ENGINE_MISSING');
  assert.ok(failure, 'one coded line for the missing engine');
  assert.match(String(failure.detail), /pocketsphinx-en-us/);
  // Two prompts were played to the end: the first, and the re-prompt after the silence.
  const marks = result.timeline.filter((entry) => entry.text.startsWith('websocket:notify'));
  assert.ok(marks.length >= 2, `prompts heard to the end: ${marks.length}`);
});

test('parrot: hears an utterance and says it back; the transcript carries times and sentiment', async (t) => {
  const transcripts: TranscriptEvent[] = [];
  const said: string[] = [];
  const app = (session: CallSession) => {
    const say = session.say.bind(session);
    session.say = (text, options) => {
      said.push(text);
      return say(text, options);
    };
    session.on('transcript', (event) => void transcripts.push(event));
    parrot(session);
  };
  const server = await startTestServer({ app });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 9000,
    talk: 'skip',
    record: true,
    audio: { kind: 'script', utterances: [{ text: 'I love this wonderful day', atMs: 3500 }] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  const final = transcripts.find((event) => event.kind === 'final');
  assert.ok(final, `a final transcript: ${JSON.stringify(transcripts)}`);
  assert.ok(final.startMs >= 3300 && final.endMs <= 6500, `in call time: ${final.startMs}–${final.endMs} ms`);
  assert.ok(final.sentiment, 'final results carry sentiment');
  assert.equal(said[0], 'Say something, and I will say it back.');
  assert.equal(said[1], `you said ${final.text}`);
  // The reply was played: the caller heard audio after the utterance ended.
  const heard = result.leg!.heard!;
  const after = heard.subarray(Math.round((final.endMs / 1000) * 16000) * 2);
  assert.ok(
    after.some((byte) => byte !== 0),
    'the reply reached the caller',
  );
});

test('the emulated caller hears "you said sales": the app says back the choice it heard, and the emulator transcribes what the caller heard', async (t) => {
  const app = (session: CallSession) => {
    session.transcribe({ choices: ['sales', 'support', 'operator'] });
    session.on('transcript', (event) => {
      if (event.kind === 'final') void session.say(`you said ${event.text}`);
    });
  };
  const server = await startTestServer({ app });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 6000,
    talk: 'skip',
    audio: { kind: 'script', utterances: [{ text: 'sales', atMs: 1000 }] },
    transcribeHeard: { choices: ['you said sales', 'you said support', 'you said operator'] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(result.heardTranscriptError, undefined);
  const heard = result.heardTranscript ?? [];
  assert.deepEqual(
    heard.map((utterance) => utterance.text),
    ['you said sales'],
  );
  // Heard after the caller spoke (1 s) and its end was detected (+0.5 s).
  assert.ok(heard[0]!.startMs > 1500 && heard[0]!.endMs < 6000, `heard at ${heard[0]!.startMs}–${heard[0]!.endMs} ms`);
});

test('transcribe: one JSON line per final result in --dir, POSTed to --transcript-url; a failing URL is one coded line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-transcribe-'));
  const server = await startTestServer({ app: transcribeCalls({ dir, transcriptUrl: 'http://127.0.0.1:9/unreachable' }) });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 7000,
    talk: 'skip',
    audio: {
      kind: 'script',
      utterances: [
        { text: 'hello there', atMs: 500 },
        { text: 'this is terrible', atMs: 3500 },
      ],
    },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [file] = await readdir(dir);
  assert.ok(file?.endsWith('.jsonl'), `a transcript file: ${file}`);
  const lines = (await readFile(join(dir, file!), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TranscriptEvent & { uuid: string });
  assert.equal(lines.length, 2, JSON.stringify(lines));
  assert.ok(lines.every((line) => line.kind === 'final' && line.uuid && line.sentiment));
  assert.ok(lines[0]!.startMs < 2000 && lines[1]!.startMs > 3000, 'in the order spoken, in call time');
  assert.equal(server.logs.filter((line) => line.code === 'VS_ERR_TRANSCRIPT_DELIVERY').length, 1);
});

test('voice-menu: speech that is no words at all (cleared the prompt, no transcript) still gets a re-prompt', async (t) => {
  const chosen: Array<{ choice: string; by: string }> = [];
  const server = await startTestServer({ app: menu(chosen) });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 14_000,
    talk: 'skip',
    // PocketSphinx's menu grammar finds no choice in "banana": the final result is empty and not reported.
    audio: { kind: 'script', utterances: [{ text: 'banana', atMs: 1500 }] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(chosen, []);
  assert.ok(result.leg!.clears >= 1, 'the caller barged in on the first prompt');
  // After the timeout the menu asks again, and that prompt is heard to its end.
  const marks = result.timeline.filter((entry) => entry.text.startsWith('websocket:notify'));
  assert.ok(marks.length >= 1, `a re-prompt heard to the end: ${marks.length}`);
});

test('transcribe: past the engine limit a call is transcribed by nobody, with one coded line, and both calls go on (the limit counts every call of the server)', async (t) => {
  const server = await startTestServer({ app: transcribeCalls(), speech: speechEngines({ pocketsphinx: { maxEngines: 1 } }) });
  t.after(() => server.close());
  const call = () =>
    placeCall({
      answerUrl: `${server.baseUrl}/webhooks/answer`,
      durationMs: 5000,
      talk: 'skip',
      audio: { kind: 'script', utterances: [{ text: 'hello there', atMs: 500 }] },
    });
  const results = await Promise.all([call(), call()]);
  for (const result of results) assert.equal(result.leg!.end, 'caller-hangup');
  assert.equal(server.logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_BUSY').length, 1);
  assert.equal(server.logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_FAILED').length, 0);
});

test('transcribe: a caller who hangs up while still speaking has those last words in the transcript, before the call ends', async (t) => {
  // Before: the socket's close removed the call's listeners at once, so the final result the engine
  // gave as it closed (the utterance the hang-up cut) reached nobody: the file lacked the last words.
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-transcribe-'));
  const order: string[] = [];
  let markEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  const transcribe = transcribeCalls({ dir });
  const server = await startTestServer({
    app: (session) => {
      transcribe(session);
      session.on('transcript', (event) => (event.kind === 'final' ? order.push(`final ${event.text}`) : undefined));
      session.once('end', () => {
        order.push('end');
        markEnded();
      });
    },
  });
  t.after(() => server.close());
  // The call hangs up 1.2 s in, mid-sentence: the detector never heard the speech end.
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 1700,
    talk: 'skip',
    audio: { kind: 'script', utterances: [{ text: 'one two three four five six seven eight nine ten', atMs: 500 }] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  await ended;
  assert.equal(order.at(-1), 'end', order.join(', '));
  assert.equal(order.length, 2, `one final, then the end: ${order.join(', ')}`);
  const [file] = await readdir(dir);
  const lines = (await readFile(join(dir, file!), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 1, 'the final is in the file');
});
