/**
 * The AssemblyAI engine, our real integration code on the official SDK (`assemblyai`), against a
 * local server that speaks AssemblyAI's documented streaming protocol over TLS
 * (test/helpers/fake-assemblyai.ts): a whole emulated call through the server, success and each
 * failure. Latency and accuracy are not measured here: the fake is not AssemblyAI.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { speechEngines } from '../../src/speech/engines.js';
import { startFakeAssemblyAI, type FakeAssemblyAIOptions } from '../helpers/fake-assemblyai.js';
import { waitFor } from '../helpers/server.js';
import { transcribingCall } from '../helpers/transcribing-call.js';

async function assemblyaiCall(t: TestContext, fakeOptions: FakeAssemblyAIOptions, rate: 8000 | 16000 | 24000, key?: string, said = 'hello there') {
  const fake = await startFakeAssemblyAI(fakeOptions);
  t.after(() => fake.close());
  const speech = speechEngines({
    speechToText: 'assemblyai',
    vendors: { assemblyai: { apiKey: key ?? fake.apiKey, streamingUrl: fake.url, answerTimeoutMs: 1500, connectTimeoutMs: 3000 } },
  });
  return { fake, ...(await transcribingCall(speech, rate, [{ text: said, atMs: 1000 }])) };
}

for (const rate of [8000, 24000] as const) {
  test(`assemblyai at ${rate} Hz: pcm_s16le at the call's own rate in 100 ms messages, interim then one formatted final in call time, ForceEndpoint at speech end, Terminate at hang-up`, async (t) => {
    const { fake, transcripts, errors, result } = await assemblyaiCall(t, { transcripts: ['Hello there.'] }, rate);
    assert.equal(result.accepted, true, result.problems.join('; '));
    assert.deepEqual(errors, []);
    const [session] = fake.sessions;
    assert.ok(session, 'one stream');
    assert.equal(session.query.get('sample_rate'), String(rate), 'nothing resampled');
    assert.equal(session.query.get('encoding'), 'pcm_s16le');
    assert.equal(session.query.get('format_turns'), 'true');
    // Every message within AssemblyAI's 50–1000 ms (the fake closes with 3007 otherwise), and together
    // every frame of the call from the first: 6 s less the frames before the app began transcribing.
    assert.ok(
      session.messageMs.every((ms) => ms >= 50 && ms <= 1000),
      JSON.stringify(session.messageMs),
    );
    const sentMs = session.messageMs.reduce((sum, ms) => sum + ms, 0);
    assert.ok(sentMs > 5500 && sentMs <= 6000, `${sentMs} ms of audio sent`);
    assert.ok(session.forceEndpoints >= 1, 'ForceEndpoint at the end of speech');
    await waitFor(() => session.terminated, 3000, 'Terminate when the call ended');
    const finals = transcripts.filter((event) => event.kind === 'final');
    assert.deepEqual(
      finals.map((f) => f.text),
      ['Hello there.'],
      'the formatted end of turn only, once',
    );
    const final = finals[0]!;
    assert.equal(final.engine, 'assemblyai');
    assert.ok(final.sentiment, 'sentiment on the final');
    // espeak-ng starts at 1 s of call time; the fake reports the voiced onset in ms of its stream.
    assert.ok(final.startMs >= 950 && final.startMs <= 1300, `final starts at ${final.startMs} ms of call time`);
    assert.ok(final.endMs > final.startMs + 300 && final.endMs < 3000, `final ends at ${final.endMs}`);
    const interim = transcripts.findIndex((event) => event.kind === 'interim');
    assert.ok(interim >= 0 && interim < transcripts.indexOf(final), 'an interim result before the final');
  });
}

test('assemblyai: a refused key is an unauthorized speech-error with one attempt, and the call goes on', async (t) => {
  const { fake, errors, result, logs } = await assemblyaiCall(t, {}, 16000, 'a-wrong-key-for-assemblyai');
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(fake.refused, 1, 'one attempt: the SDK is asked not to retry');
  assert.deepEqual(
    errors.map((e) => [e.job, e.engine, e.kind]),
    [['stt', 'assemblyai', 'unauthorized']],
  );
  assert.equal(logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_UNAUTHORIZED').length, 1);
  assert.equal(result.leg!.end, 'caller-hangup', 'the call ran to its end');
});

test('assemblyai: a stream that drops mid-call is a disconnected speech-error; one that stalls is a timeout after speech it never answered; each call goes on', async (t) => {
  // Side by side: two calls, each with its own fault.
  const [dropped, stalled] = await Promise.all([
    assemblyaiCall(t, { dropAfterAudioMs: 1500 }, 16000),
    assemblyaiCall(t, { stall: true }, 16000, undefined, 'hello there, I would like to check my balance'),
  ]);
  assert.equal(dropped.fake.sessions.length, 1, 'not reconnected behind our back');
  assert.deepEqual(
    dropped.errors.map((e) => [e.engine, e.kind]),
    [['assemblyai', 'disconnected']],
  );
  assert.equal(dropped.result.leg!.end, 'caller-hangup');
  // Over a second of speech with no word from AssemblyAI (a shorter one may be noise it rightly ignores).
  assert.deepEqual(
    stalled.errors.map((e) => [e.engine, e.kind]),
    [['assemblyai', 'timeout']],
  );
  assert.equal(stalled.transcripts.length, 0);
  assert.equal(stalled.result.leg!.end, 'caller-hangup');
});
