/**
 * The Vonage transport driven by the real Agents SDK (`@openai/agents-realtime`: RealtimeSession,
 * RealtimeAgent, its WebSocket client) against a local server speaking the Realtime protocol
 * (test/helpers/fake-openai-realtime.ts), with the emulator as the caller: a spoken question gets a
 * spoken reply; talking over the reply clears it at once and truncates the model's item at what the
 * recording shows the caller heard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealtimeAgent } from '@openai/agents-realtime';
import { placeCall } from '../../src/emulator/call.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { AgentBargeIn, VonageRealtimeTransportLayer } from '../../src/agents/vonage-realtime-transport.js';
import { startAgent } from '../../src/agents/start-agent.js';
import { startFakeRealtime, type FakeTurn } from '../helpers/fake-openai-realtime.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { soundFrames } from '../helpers/audio.js';
import { heardAs } from '../helpers/agent-harness.js';

const REPLY = 'Here is an answer that the dropping model will never finish.';
const LONG_REPLY =
  'Thank you for calling. I can help you with your account, your bills, your orders and your deliveries, and I will happily explain each of them in detail.';

/** A server whose calls each get an agent; the number called picks the fake model's behaviour (`fake-drop`, ...). */
async function agentServer(fakeTurns: FakeTurn[], options: { rate?: 8000 | 16000 | 24000; bargeIn?: AgentBargeIn; responseTimeoutMs?: number } = {}) {
  const fake = await startFakeRealtime({ turns: fakeTurns });
  const transports: VonageRealtimeTransportLayer[] = [];
  const events: Array<{ type: string; digit?: string }> = [];
  const app = (call: CallSession) => {
    call.once('connected', (identity) => {
      const model = identity.to?.startsWith('fake-') ? identity.to : 'gpt-realtime';
      const agent = new RealtimeAgent({ name: 'Test agent', instructions: 'Answer briefly.' });
      const { transport, session } = startAgent(call, {
        agent,
        apiKey: identity.to === 'fake-badkey' ? 'sk-wrong' : fake.apiKey,
        url: fake.url,
        model,
        connectTimeoutMs: 3000,
        ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
        ...(options.responseTimeoutMs ? { responseTimeoutMs: options.responseTimeoutMs } : {}),
      });
      session.on('transport_event', (event) => void events.push(event as { type: string; digit?: string }));
      transports.push(transport);
    });
  };
  const server = await startTestServer({ app, config: { sampleRate: options.rate ?? 16000 } });
  return { fake, server, transports, events };
}

/** What a caller may hear from the agent's failure paths and the reply, as a menu for PocketSphinx. */
const HEARD_PHRASES = [
  'sorry the assistant is not available right now',
  'please call again later',
  'goodbye',
  'sorry something went wrong',
  'could you say that again',
  REPLY.toLowerCase().replace(/[^a-z ]/g, ''),
];

/** A caller to the number `to` (which picks the fake model) who says `utterances` and listens. */
function callAgent(baseUrl: string, to: string, utterances: Array<{ text: string; atMs: number }>, durationMs: number) {
  return placeCall({
    answerUrl: `${baseUrl}/webhooks/answer`,
    to,
    durationMs,
    talk: 'skip',
    transcribeHeard: { choices: HEARD_PHRASES },
    audio: { kind: 'script', utterances },
  });
}

test('agent: the caller asks, the model answers in speech; talking over it clears at once and truncates at what the caller heard', async (t) => {
  const { fake, server, transports } = await agentServer([{ say: LONG_REPLY }, null]);
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  let clearedAt: number | undefined;
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 9000,
    talk: 'skip',
    record: true,
    audio: {
      kind: 'script',
      utterances: [
        { text: 'hello there', atMs: 1000 },
        // Past the reply's whole sending with a margin for a loaded machine: the model sends the 8.5 s
        // reply in ~2.2 s from about 2.3 s in (the caller's end of speech and the VAD's 500 ms).
        { text: 'stop please', atMs: 6000 },
      ],
    },
    onTimeline: (entry) => {
      if (entry.text.startsWith('clear')) clearedAt ??= performance.now();
    },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [model] = fake.sessions;
  assert.ok(model, 'the SDK connected');
  // Caller audio reached the model at 24 kHz, every frame: on the model's clock (ms of audio appended)
  // the two utterances are the script's 5 s apart.
  const started = model.sent.filter(({ event }) => event.type === 'input_audio_buffer.speech_started');
  assert.equal(started.length, 2, 'two user turns');
  const apart = (started[1]!.event.audio_start_ms as number) - (started[0]!.event.audio_start_ms as number);
  assert.ok(Math.abs(apart - 5000) <= 60, `utterances ${apart} ms apart in model audio`);
  // The model had sent the whole reply before the caller spoke again (it sends faster than real
  // time): nothing to cancel, everything to truncate — the case that only the played position gets
  // right. Checked first: a reply still being sent is cancelled and has no transcript for its turn.
  const done = model.sent.find(({ event }) => event.type === 'response.done');
  assert.ok(done && done.at < started[1]!.at, 'the reply was all sent before the caller interrupted');
  // The interruption: clear within 100 ms of the model's speech_started (both in this process;
  // 100 ms is the bound and far above an in-process hop, even on a busy machine).
  assert.ok(clearedAt !== undefined, 'clear reached the caller');
  const clearDelay = clearedAt - started[1]!.at;
  assert.ok(clearDelay >= 0 && clearDelay <= 100, `clear ${clearDelay.toFixed(1)} ms after the interruption event`);
  // Truncation at what the recording shows the caller heard of the reply.
  assert.equal(model.truncations.length, 1, JSON.stringify(model.truncations));
  const truncation = model.truncations[0]!;
  const heard = result.heard!;
  const leg = result.leg!;
  const sound = soundFrames(heard.pcm, heard.sampleRate);
  const replyStartMs = sound[0]! * 20;
  const clearMs = leg.clearsAtHeardMs[0]!;
  const heardOfReply = clearMs - replyStartMs;
  assert.ok(
    Math.abs(truncation.audio_end_ms - heardOfReply) <= 40,
    `truncate audio_end_ms ${truncation.audio_end_ms}, the recording shows ${heardOfReply} ms heard`,
  );
  t.diagnostic(`clear ${clearDelay.toFixed(1)} ms after speech_started; audio_end_ms ${truncation.audio_end_ms}, heard in the recording ${heardOfReply} ms`);
  assert.ok(truncation.audio_end_ms < (model.spoken.get(truncation.item_id) ?? 0), 'less than the model had sent');
  // The model sent the reply about four times faster than real time; the caller's playback buffer
  // never held more than the pacer's 200 ms lead, the frame in flight, and what the emulator's mixer
  // owes when its own timer runs late on a loaded machine (up to 100 ms: 12 to 14 frames were seen in
  // full runs on 2 cores since the pacer sends a reply's first frames at once). Unpaced, the buffer
  // would hold most of the reply: well over a second.
  assert.ok(leg.maxBufferedFrames <= 200 / 20 + 1 + 100 / 20, `max buffered ${leg.maxBufferedFrames} frames`);
  // No reply audio after the clear took effect.
  const after = sound.filter((index) => index * 20 >= clearMs);
  assert.deepEqual(after, [], 'silence after the clear');
  assert.equal(transports[0]!.interruptions.length, 1);
  assert.equal(transports[0]!.interruptions[0]!.by, 'model');
  // The call's end closed the model session.
  await waitFor(() => model.closed, 3000, 'the model session to close');
  // The turn as /api/calls shows it: the reply, the interruption, the latency split.
  const [turn] = transports[0]!.turns.snapshot();
  assert.equal(turn!.agent, LONG_REPLY);
  assert.deepEqual(turn!.interrupted?.heardMs, truncation.audio_end_ms);
  const latency = turn!.latency!;
  assert.ok(latency.modelMs >= 500, `the model's share includes its VAD's 500 ms of silence: ${JSON.stringify(latency)}`);
  assert.ok(latency.oursMs >= 0 && Math.abs(latency.totalMs - latency.modelMs - latency.oursMs) <= 1, JSON.stringify(latency));
  t.diagnostic(`turn latency ${JSON.stringify(latency)}`);
});

test('agent: a model that drops, refuses the key, errs or does not connect ends only its own call, with a coded line and an apology; the call beside it goes on', async (t) => {
  const { fake, server } = await agentServer([{ say: REPLY }]);
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const call = (to: string, durationMs: number) => callAgent(server.baseUrl, to, [{ text: 'hello there', atMs: 800 }], durationMs);
  const [dropped, slow, refusedKey, erring, healthy] = await Promise.all([
    call('fake-drop', 12_000),
    call('fake-slow', 12_000),
    call('fake-badkey', 10_000),
    call('fake-error', 7000),
    call('447700900000', 8000),
  ]);
  for (const [name, result] of [
    ['dropped', dropped],
    ['slow', slow],
    ['refused key', refusedKey],
  ] as const) {
    assert.equal(result.leg!.end, 'app-closed', `${name}: the app ended the call`);
    assert.equal(result.leg!.closeReason, 'agent: model unavailable');
    assert.ok(
      result.heardTranscript?.some((line) => line.text.startsWith('sorry')),
      `${name}: the caller heard the apology: ${JSON.stringify(result.heardTranscript)}`,
    );
  }
  const failures = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED');
  assert.equal(failures.length, 3, JSON.stringify(failures));
  assert.ok(failures.some((line) => /did not connect within 3 s/.test(String(line.detail))));
  assert.ok(
    failures.some((line) => /401/.test(String(line.detail))),
    JSON.stringify(failures),
  );
  assert.equal(fake.refused, 1, 'one attempt with the refused key, no retry storm');
  // An error event is logged, the caller hears why nothing came, and the call goes on to its end.
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_AGENT_MODEL_ERROR' && /server had an error/.test(String(line.detail))));
  assert.ok(
    erring.heardTranscript?.some((line) => heardAs(line, 'sorry something went wrong')),
    JSON.stringify(erring.heardTranscript),
  );
  assert.equal(erring.leg!.end, 'caller-hangup');
  // The healthy call beside them: answered, to its end.
  assert.equal(healthy.leg!.end, 'caller-hangup');
  assert.ok(
    healthy.heardTranscript?.some((line) => line.text === REPLY.toLowerCase().replace(/[^a-z ]/g, '')),
    JSON.stringify(healthy.heardTranscript),
  );
});

test('agent: a model that never answers gets an apology, then the call ends; an error loop logs by sample; an oversized audio chunk is dropped and the reply goes on', async (t) => {
  const { fake, server } = await agentServer([{ say: REPLY }], { responseTimeoutMs: 1500 });
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const apology = 'sorry something went wrong';
  const call = (to: string, utterances: Array<{ text: string; atMs: number }>, durationMs: number) => callAgent(server.baseUrl, to, utterances, durationMs);
  const [silent, looping, huge] = await Promise.all([
    // Two turns the model leaves unanswered: an apology after the first, the end after the second.
    call(
      'fake-silent',
      [
        { text: 'hello there', atMs: 800 },
        { text: 'hello again', atMs: 6000 },
      ],
      // The app ends it after the second silence and the goodbye (~13 s); the caller's own limit is
      // only a backstop, long enough for espeak-ng and the goodbye on a busy machine.
      24_000,
    ),
    call('fake-errorloop', [{ text: 'hello there', atMs: 800 }], 6000),
    call('fake-huge', [{ text: 'hello there', atMs: 800 }], 10_000),
  ]);
  assert.ok(
    silent.heardTranscript?.some((line) => heardAs(line, apology)),
    `silent: ${JSON.stringify(silent.heardTranscript)}`,
  );
  assert.equal(silent.leg!.end, 'app-closed', 'the second silence ended the call');
  // The erring model's one turn also went unanswered: one silence there, two on the silent call.
  const silences = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_SILENT');
  assert.deepEqual(silences.map((line) => line.silences).sort(), [1, 1, 2], JSON.stringify(silences));
  const failed = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED');
  assert.equal(failed.length, 1, JSON.stringify(failed));
  assert.match(String(failed[0]!.detail), /did not answer twice/);
  // 300 errors: the first five lines, then one in a hundred (with the count), not 300 lines.
  const errors = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_ERROR');
  assert.ok(errors.length >= 5 && errors.length <= 8, `${errors.length} lines for 300 errors`);
  assert.equal(looping.leg!.end, 'caller-hangup');
  const oversized = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_AUDIO_TOO_LARGE');
  assert.equal(oversized.length, 1);
  assert.ok(
    huge.heardTranscript?.some((line) => line.text === REPLY.toLowerCase().replace(/[^a-z ]/g, '')),
    `the reply after the dropped chunk was heard: ${JSON.stringify(huge.heardTranscript)}`,
  );
  assert.equal(huge.leg!.end, 'caller-hangup');
});

test('agent at 8 kHz with our own detector for barge-in, and DTMF reaching the session as a transport event', async (t) => {
  const { fake, server, transports, events } = await agentServer([{ say: LONG_REPLY }, null], { rate: 8000, bargeIn: 'speech' });
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 8000,
    talk: 'skip',
    record: true,
    dtmf: [{ digit: '5', atMs: 1500 }],
    audio: {
      kind: 'script',
      utterances: [
        { text: 'hello there', atMs: 500 },
        { text: 'stop please', atMs: 4500 },
      ],
    },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(result.leg!.sampleRate, 8000);
  const transport = transports[0]!;
  assert.equal(transport.interruptions.length, 1, JSON.stringify(transport.interruptions));
  assert.equal(transport.interruptions[0]!.by, 'speech', 'our detector, not the model, interrupted');
  const [model] = fake.sessions;
  assert.equal(model!.truncations[0]!.audio_end_ms, transport.interruptions[0]!.heardMs);
  assert.deepEqual(
    events.filter((event) => event.type === 'vonage_dtmf').map((event) => event.digit),
    ['5'],
  );
});
