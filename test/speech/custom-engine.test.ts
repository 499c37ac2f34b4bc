/**
 * Engines a user writes, named with --stt/--tts: the fixtures in test/fixtures/speech-engines/ were
 * written from docs/speech.md "Your own engine" alone. On real calls from the emulator: the documented
 * contract holds (call time, the call's own rate, 20 ms frames; PCM yielded in chunks of any length is
 * played whole), and an engine that throws degrades only its call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { guardTranscriberFactory } from '../../src/speech/guarded-engine.js';
import type { Transcriber } from '../../src/speech/transcriber.js';
import { placeCall } from '../../src/emulator/index.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { SpeechErrorEvent, TranscriptEvent } from '../../src/speech/speech-events.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { frames, toneLevel } from '../helpers/audio.js';
import { ROOT } from '../helpers/cli.js';

const engine = (name: string) => join(ROOT, 'test', 'fixtures', 'speech-engines', name);

test('a user-written STT and TTS module on a 24 kHz call: the caller is heard in call time at the call rate, and the reply is played whole', async (t) => {
  const finals: TranscriptEvent[] = [];
  const app = (call: CallSession) => {
    call.once('connected', () => void call.transcribe());
    call.on('transcript', async (event) => {
      if (event.kind !== 'final') return;
      finals.push(event);
      await call.say('one two three four five');
    });
  };
  const server = await startTestServer({
    app,
    config: { sampleRate: 24000, speechToText: engine('counting-stt.mjs'), textToSpeech: engine('tone-tts.mjs') },
  });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 5000,
    talk: 'skip',
    record: true,
    audio: { kind: 'script', utterances: [{ text: 'hello there, how are you today', atMs: 500 }] },
  });
  assert.equal(finals.length, 1, JSON.stringify(finals));
  const final = finals[0]!;
  assert.equal(final.engine, 'counting-stt');
  const [, ms, rate, count] = /^(\d+) ms at (\d+) hertz in (\d+) frames$/.exec(final.text) ?? [];
  assert.equal(rate, '24000', 'the engine got the call rate: nothing was resampled for it');
  // Call time: the utterance starts near the scripted 500 ms (the preroll reaches 300 ms before the onset).
  assert.ok(final.startMs >= 150 && final.startMs <= 700, `starts at ${final.startMs} ms`);
  assert.equal(Number(ms), final.endMs - final.startMs);
  assert.ok(Number(count) >= 40, `${count} whole frames of speech`);
  assert.ok(final.sentiment, 'the call added sentiment to the final result');
  // The reply: five words of 100 ms tone, yielded in 333-byte chunks, heard whole and undistorted.
  const toneFrames = frames(result.leg!.heard!, 960).filter((frame) => toneLevel(frame, 440, 24000) > 0.01).length;
  assert.ok(toneFrames >= 23 && toneFrames <= 27, `${toneFrames} frames of the 500 ms reply heard`);
});

test('an engine that throws in the audio path is a speech-error of its call only: the call and the call beside it go on', async (t) => {
  const errors: SpeechErrorEvent[] = [];
  const app = (call: CallSession) => {
    call.on('audio', (frame) => call.sendAudio(frame));
    call.on('speech-error', (error) => void errors.push(error));
    call.once('connected', (identity) => void call.transcribe(identity.to === 'faulty' ? { engine: 'faulty-stt' } : {}));
  };
  const server = await startTestServer({ app, config: { speechToText: engine('faulty-stt.mjs') } });
  t.after(() => server.close());
  const call = (to: string) =>
    placeCall({
      answerUrl: `${server.baseUrl}/webhooks/answer`,
      to,
      durationMs: 3000,
      talk: 'skip',
      audio: { kind: 'script', utterances: [{ text: 'hello there', atMs: 300 }] },
    });
  const [faulty, bystander] = await Promise.all([call('faulty'), call('447700900001')]);
  await waitFor(() => errors.length >= 2, 2000, 'both calls reported the engine');
  for (const error of errors)
    assert.deepEqual({ engine: error.engine, kind: error.kind, job: error.job }, { engine: 'faulty-stt', kind: 'failed', job: 'stt' });
  assert.match(errors[0]!.message, /the engine broke/);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_SPEECH_ENGINE_FAILED' && line.engine === 'faulty-stt'));
  for (const result of [faulty, bystander]) {
    assert.equal(result.leg!.end, 'caller-hangup', 'the call went on to its end');
    assert.ok(result.leg!.echoed > result.leg!.framesSent * 0.9, 'its echo never stopped');
  }
});

test('a module that is not an engine, or is not there, stops the server at start with one line naming the setting', async () => {
  for (const [config, message] of [
    [{ speechToText: engine('not-an-engine.mjs') }, /--stt=.*not-an-engine\.mjs.*default export must be \{ engine: string, create\(callRate, options\) \}/],
    [{ textToSpeech: engine('not-an-engine.mjs') }, /--tts=.*default export must be \{ engine: string, synthesize\(text, options\) \}/],
    [{ speechToText: './no-such-engine.js' }, /--stt="\.\/no-such-engine\.js" is not allowed; no such file/],
  ] as const) {
    await assert.rejects(startTestServer({ config }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VS_ERR_CONFIG_INVALID');
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  }
});

test("a user's engine: the final it reports as it closes is heard; a close() that never settles ends after the bound with one timeout error", async () => {
  // Before: the guard stopped listening when close() began, so the final result the interface asks
  // for at close ("report what is pending as final") was dropped, and a close() that hung held the call.
  const closing = (close: (engine: EventEmitter) => Promise<void>) =>
    guardTranscriberFactory(
      {
        engine: 'closing',
        create: () => {
          const engine = Object.assign(new EventEmitter(), {
            ready: () => Promise.resolve(),
            speechStart: () => undefined,
            audio: () => undefined,
            speechEnd: () => undefined,
            close: (): Promise<void> => close(engine),
          });
          return engine as unknown as Transcriber;
        },
      },
      200,
    ).create(16000, {});
  const polite = closing(async (engine) => {
    await new Promise((resolve) => setImmediate(resolve));
    engine.emit('result', { kind: 'final', text: 'goodbye', startMs: 0, endMs: 500 });
  });
  const heard: string[] = [];
  polite.on('result', (result) => heard.push(result.text));
  await polite.close();
  assert.deepEqual(heard, ['goodbye']);

  const stuck = closing(() => new Promise<void>(() => undefined));
  const errors: string[] = [];
  stuck.on('error', (error) => errors.push(error.kind));
  await stuck.close();
  assert.deepEqual(errors, ['timeout']);
});
