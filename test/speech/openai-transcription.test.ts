/**
 * OpenAI's realtime transcription engine, our real integration code on the official SDK (`openai`,
 * `OpenAIRealtimeWS`), against a local server that speaks OpenAI's documented Realtime transcription
 * protocol over TLS (test/helpers/fake-openai-transcription.ts): a whole emulated call through the
 * server, success and each failure. Accuracy and latency are not measured: the fake is not OpenAI.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { speechEngines } from '../../src/speech/engines.js';
import { startFakeOpenAITranscription, type FakeOpenAITranscriptionOptions } from '../helpers/fake-openai-transcription.js';
import { transcribingCall } from '../helpers/transcribing-call.js';

async function openaiCall(t: TestContext, fakeOptions: FakeOpenAITranscriptionOptions, rate: 8000 | 16000 | 24000, key?: string) {
  const fake = await startFakeOpenAITranscription(fakeOptions);
  t.after(() => fake.close());
  const speech = speechEngines({
    speechToText: 'openai',
    vendors: { openaiTranscription: { apiKey: key ?? fake.apiKey, baseUrl: fake.baseUrl, answerTimeoutMs: 1500, connectTimeoutMs: 3000 } },
  });
  const said = [
    { text: 'hello there', atMs: 1000 },
    { text: 'goodbye', atMs: 3500 },
  ];
  return { fake, ...(await transcribingCall(speech, rate, said)) };
}

for (const rate of [8000, 24000] as const) {
  test(`openai transcription at ${rate} Hz: a transcription session at 24 kHz without its own turn detection, our utterances committed, deltas then a final per utterance in call time`, async (t) => {
    const { fake, transcripts, errors, result, utterances } = await openaiCall(t, { transcripts: ['Hello there.', 'Goodbye.'] }, rate);
    assert.equal(result.accepted, true, result.problems.join('; '));
    assert.deepEqual(errors, []);
    const [session] = fake.sessions;
    assert.ok(session, 'one socket');
    const update = session.updates[0] as { type: string; audio: { input: { format: unknown; transcription: { model: string }; turn_detection: unknown } } };
    assert.equal(update.type, 'transcription');
    assert.deepEqual(update.audio.input.format, { type: 'audio/pcm', rate: 24000 });
    assert.equal(update.audio.input.transcription.model, 'gpt-4o-transcribe');
    assert.equal(update.audio.input.turn_detection, null, "our detector's utterances, not OpenAI's");
    // Two utterances, each committed once, each only speech: up to 300 ms of preroll before the
    // onset, the speech, and 100 ms of the 500 ms of silence that ended it (before: all 500 ms), not
    // the whole 6 s call: OpenAI bills audio.
    assert.equal(session.committedBytes.length, 2, JSON.stringify(session.committedBytes));
    assert.equal(utterances.length, 2, JSON.stringify(utterances));
    session.committedBytes.forEach((bytes, i) => {
      const ms = (bytes / 2 / 24000) * 1000;
      const speechMs = utterances[i]!.endMs! - utterances[i]!.startMs;
      assert.ok(ms > speechMs + 200 && ms <= speechMs + 300 + 100 + 40, `${ms} ms committed for ${speechMs} ms of speech`);
    });
    const finals = transcripts.filter((event) => event.kind === 'final');
    assert.deepEqual(
      finals.map((f) => f.text),
      ['Hello there.', 'Goodbye.'],
    );
    assert.equal(finals[0]!.engine, 'openai');
    assert.ok(finals[0]!.sentiment, 'sentiment on the final');
    // The first utterance spans espeak-ng's speech from 1 s of call time (300 ms of preroll before the onset).
    assert.ok(finals[0]!.startMs >= 650 && finals[0]!.startMs <= 1200, `first final starts at ${finals[0]!.startMs}`);
    assert.ok(finals[1]!.startMs >= 3150 && finals[1]!.startMs <= 3700, `second final starts at ${finals[1]!.startMs}`);
    const interim = transcripts.findIndex((event) => event.kind === 'interim');
    assert.ok(interim >= 0 && interim < transcripts.indexOf(finals[0]!), 'a delta as an interim result before the final');
  });
}

test('openai transcription: a refused key is an unauthorized speech-error, and the call goes on', async (t) => {
  const { fake, errors, result, logs } = await openaiCall(t, {}, 16000, 'a-wrong-key-for-openai');
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(fake.refused, 1);
  assert.deepEqual(
    errors.map((e) => [e.job, e.engine, e.kind]),
    [['stt', 'openai', 'unauthorized']],
  );
  assert.equal(logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_UNAUTHORIZED').length, 1);
  assert.equal(result.leg!.end, 'caller-hangup', 'the call ran to its end');
});

test('openai transcription: a socket that drops is a disconnected speech-error; a session that stalls is a timeout after a commit; each call goes on', async (t) => {
  // Side by side: two calls, each with its own fault.
  const [dropped, stalled] = await Promise.all([openaiCall(t, { dropAfterAudioMs: 500 }, 16000), openaiCall(t, { stall: true }, 16000)]);
  assert.deepEqual(
    dropped.errors.map((e) => [e.engine, e.kind]),
    [['openai', 'disconnected']],
  );
  assert.equal(dropped.result.leg!.end, 'caller-hangup');
  assert.deepEqual(
    stalled.errors.map((e) => [e.engine, e.kind]),
    [['openai', 'timeout']],
  );
  assert.equal(stalled.transcripts.length, 0);
  assert.equal(stalled.result.leg!.end, 'caller-hangup');
});
