/**
 * The Deepgram engines, our real integration code on the official SDK, against a local server that
 * speaks Deepgram's documented protocol (test/helpers/fake-deepgram.ts): a whole emulated call through
 * the server, success and each failure. Latency is not measured here: the fake is not Deepgram.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { SayResult } from '../../src/call/call-session.js';
import type { SpeechErrorEvent, TranscriptEvent } from '../../src/speech/speech-events.js';
import { speechEngines } from '../../src/speech/engines.js';
import { startFakeDeepgram, type FakeDeepgramOptions } from '../helpers/fake-deepgram.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { transcribingCall } from '../helpers/transcribing-call.js';
import { frames, toneLevel } from '../helpers/audio.js';

interface Seen {
  transcripts: TranscriptEvent[];
  errors: SpeechErrorEvent[];
  said: SayResult[];
}

async function deepgramCall(t: TestContext, fakeOptions: FakeDeepgramOptions, rate: 8000 | 16000 | 24000, key?: string) {
  const fake = await startFakeDeepgram(fakeOptions);
  t.after(() => fake.close());
  const speech = speechEngines({ speechToText: 'deepgram', deepgramApiKey: key ?? fake.apiKey, deepgramUrl: fake.url, deepgram: { answerTimeoutMs: 1500 } });
  const { transcripts, errors, result, logs } = await transcribingCall(speech, rate, [{ text: 'hello there', atMs: 1000 }]);
  const seen: Seen = { transcripts, errors, said: [] };
  return { fake, seen, result, logs };
}

test('deepgram transcription: linear16 at the call rate, every frame, interim then final in call time, Finalize at speech end, CloseStream at hang-up', async (t) => {
  const { fake, seen, result } = await deepgramCall(t, { transcripts: ['Hello there.'] }, 24000);
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(seen.errors, []);
  const [listen] = fake.listens;
  assert.ok(listen, 'one listen socket');
  assert.equal(listen.authorization, `Token ${fake.apiKey}`);
  assert.equal(listen.query.get('encoding'), 'linear16');
  assert.equal(listen.query.get('sample_rate'), '24000');
  assert.equal(listen.query.get('model'), 'nova-3');
  assert.equal(listen.query.get('interim_results'), 'true');
  // Every frame from the first: the 6 s call less the frames before the app started transcribing.
  const seconds = listen.audioBytes / 2 / 24000;
  assert.ok(seconds > 5.5 && seconds <= 6.05, `audio sent: ${seconds} s`);
  assert.ok(listen.finalizes >= 1, 'Finalize at the end of speech');
  await waitFor(() => listen.closed, 3000, 'CloseStream when the call ended');
  const finals = seen.transcripts.filter((event) => event.kind === 'final');
  assert.equal(finals.length, 1, JSON.stringify(seen.transcripts));
  const final = finals[0]!;
  assert.equal(final.text, 'Hello there.');
  assert.equal(final.engine, 'deepgram');
  assert.equal(final.confidence, 0.93);
  assert.ok(final.sentiment, 'sentiment on the final');
  assert.deepEqual(
    final.words.map((w) => w.word),
    ['Hello', 'there.'],
  );
  // espeak-ng starts speaking at 1 s of call time; the fake reports its voiced onset in stream seconds.
  assert.ok(final.startMs >= 950 && final.startMs <= 1300, `final starts at ${final.startMs} ms of call time`);
  assert.ok(final.endMs > final.startMs + 300 && final.endMs < 3000, `final ends at ${final.endMs}`);
  const firstInterim = seen.transcripts.findIndex((event) => event.kind === 'interim');
  assert.ok(firstInterim >= 0 && firstInterim < seen.transcripts.indexOf(final), 'an interim result before the final');
});

test('deepgram transcription: a refused key is a coded unauthorized speech-error, and the call goes on', async (t) => {
  const { fake, seen, result, logs } = await deepgramCall(t, {}, 16000, 'a-wrong-key');
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(fake.refused, 1, 'one attempt, no reconnection storm');
  assert.deepEqual(
    seen.errors.map((e) => [e.job, e.engine, e.kind]),
    [['stt', 'deepgram', 'unauthorized']],
  );
  assert.equal(logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_UNAUTHORIZED').length, 1);
  assert.equal(result.leg!.end, 'caller-hangup', 'the call ran to its end');
});

test('deepgram transcription: a provider that drops mid-call is a disconnected speech-error, the call goes on', async (t) => {
  const { fake, seen, result, logs } = await deepgramCall(t, { dropAfterAudioMs: 1500 }, 16000);
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(fake.listens.length, 1, 'not reconnected behind our back');
  assert.deepEqual(
    seen.errors.map((e) => [e.engine, e.kind]),
    [['deepgram', 'disconnected']],
  );
  assert.equal(logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_FAILED').length, 1);
  assert.equal(result.leg!.end, 'caller-hangup');
});

test('deepgram transcription: a provider that stalls is a timeout speech-error after Finalize goes unanswered', async (t) => {
  const { seen, result } = await deepgramCall(t, { stall: true }, 16000);
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(
    seen.errors.map((e) => [e.engine, e.kind]),
    [['deepgram', 'timeout']],
  );
  assert.equal(seen.transcripts.length, 0);
  assert.equal(result.leg!.end, 'caller-hangup');
});

async function speakingCall(fakeOptions: FakeDeepgramOptions, texts: string[], key?: string) {
  const fake = await startFakeDeepgram(fakeOptions);
  const seen: Seen = { transcripts: [], errors: [], said: [] };
  const app = async (session: CallSession) => {
    session.on('speech-error', (event) => void seen.errors.push(event));
    for (const text of texts) seen.said.push(await session.say(text));
  };
  const server = await startTestServer({
    app,
    config: { sampleRate: 16000 },
    speech: speechEngines({ textToSpeech: 'deepgram', deepgramApiKey: key ?? fake.apiKey, deepgramUrl: fake.url }),
  });
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 5000, talk: 'skip', record: true });
  await server.close();
  await fake.close();
  return { fake, seen, result, logs: server.logs };
}

test('deepgram speech: streamed at the call rate and played as it comes; the caller hears all of it', async () => {
  const text = 'Hello from the cloud.';
  const { fake, seen, result } = await speakingCall({}, [text]);
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [speak] = fake.speaks;
  assert.ok(speak);
  assert.equal(speak.query.get('sample_rate'), '16000');
  assert.equal(speak.query.get('encoding'), 'linear16');
  assert.equal(speak.query.get('model'), 'aura-2-thalia-en');
  assert.deepEqual(speak.texts, [text]);
  const said = seen.said[0]!;
  assert.equal(said.error, undefined);
  assert.equal(said.completed, true);
  // The fake speaks 70 ms per character in 100 ms frames: 1.5 s for these 21 characters.
  const expectedMs = Math.ceil((text.length * 70) / 100) * 100;
  assert.ok(Math.abs(said.heardMs - expectedMs) <= 40, `heard ${said.heardMs} ms of ${expectedMs}`);
  // The caller's recording holds the fake's 440 Hz "speech", 20 ms frame by frame.
  const heard = result.heard!;
  const toneFrames = frames(heard.pcm, (heard.sampleRate / 50) * 2).filter((frame) => toneLevel(frame, 440, heard.sampleRate) > 0.01).length;
  assert.ok(Math.abs(toneFrames * 20 - expectedMs) <= 40, `the caller heard ${toneFrames * 20} ms of the speech`);
});

test('deepgram speech: a refused key and a drop mid-utterance are speech-errors on say(); the next say still works', async () => {
  const { seen, result, logs } = await speakingCall({ dropSpeakAfterFrames: 3 }, ['This one is cut short by the provider.', 'Then this one.']);
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(seen.said[0]!.error?.kind, 'disconnected');
  assert.ok(seen.said[0]!.heardMs >= 200 && seen.said[0]!.heardMs <= 400, `heard ${seen.said[0]!.heardMs} ms before the drop`);
  // The fake drops each socket after 3 frames: the second say is cut too, but it was tried.
  assert.equal(seen.said[1]!.error?.kind, 'disconnected');
  assert.equal(logs.filter((line) => line.code === 'VS_ERR_SPEECH_ENGINE_FAILED').length, 2);
  const refused = await speakingCall({}, ['Nobody hears this.'], 'a-wrong-key');
  assert.equal(refused.seen.said[0]!.error?.kind, 'unauthorized');
  assert.equal(refused.seen.said[0]!.heardMs, 0);
  assert.equal(refused.result.leg!.end, 'caller-hangup');
});
