/**
 * A speech-to-text engine that floods: 1 MB results, thousands a second, beside a bystander whose echo
 * must stay exact. The call's speech layer bounds them for every app (their size, their rate);
 * the transcribe app keeps a few POSTs in flight to a URL that never answers and drops the rest with a
 * coded line; the cascade asks its chat model one request at a time, of bounded size. Before, 1 MB
 * finals made 30 MB chat requests, 10 000 a second made 401 requests in 10 s and 5400 POSTs in flight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startVoiceAgent } from '../../src/agents/agent-bridge.js';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import { transcribeCalls } from '../../src/apps/transcribe.js';
import { speechEngines } from '../../src/speech/engines.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import { CallRun } from '../../src/emulator/call.js';
import type { CallList } from '../../src/call/call-snapshot.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { scriptedTranscriber } from '../helpers/fake-transcriber.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { Bystander, withBystander } from '../helpers/bystander.js';
import { grownSince, memoryAfterGc } from '../helpers/memory.js';

test('a transcriber flooding 1 MB finals, thousands a second: results cut and dropped in the speech layer, POSTs and chat requests bounded', async (t) => {
  // A transcript URL that takes every POST and never answers: what is in flight is what the app allows.
  let inFlight = 0;
  let mostInFlight = 0;
  let posts = 0;
  const held = new Set<ServerResponse>();
  const hook = createServer((request: IncomingMessage, response: ServerResponse) => {
    posts++;
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    request.resume();
    held.add(response);
    response.on('close', () => {
      inFlight--;
      held.delete(response);
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const chat = await startFakeChat({ turns: [{ say: 'I heard you.' }] });
  const speech = speechEngines();
  // 40 finals of 1 MB each time a 1 ms timer fires (a few hundred times a second here: 14 000 finals
  // a second a call alone, 6500 beside other test files), from 300 ms in. One string: an engine's
  // results are new strings, but what the call does with each is what is measured.
  const flood = scriptedTranscriber(() => ({ flood: { text: 'word '.repeat(200_000), perTick: 40, afterMs: 300 } }));
  speech.register('stt', ['flood'], flood);
  const transcribe = transcribeCalls({ engine: 'flood', transcriptUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/transcripts` });
  const server = await startTestServer({
    speech,
    // withBystander runs this once the call is connected (its number known).
    app: withBystander((call) => {
      if (call.identity.to === 'transcribe') return transcribe(call);
      startVoiceAgent(call, {
        instructions: 'Answer briefly.',
        provider: cascadeProvider({ llm: { model: 'fake-model', apiKey: chat.apiKey, baseUrl: chat.baseUrl }, stt: 'flood', tts: espeakSynthesizer }),
      });
    }),
  });
  t.after(async () => {
    await server.close();
    await chat.close();
    for (const response of held) response.destroy();
    await new Promise((resolve) => hook.close(resolve));
  });
  const bystander = await Bystander.join(server.socketUrl);
  const before = memoryAfterGc();
  const startedAt = performance.now();
  // The calls last until the flood has run its course in both (awaited, not timed: a loaded machine
  // fires the flood's timer less often), then the callers hang up through the emulator's call control.
  const runs = ['transcribe', 'agent'].map(
    (to) => new CallRun({ answerUrl: `${server.baseUrl}/webhooks/answer`, to, durationMs: 60_000, talk: 'skip', audio: { kind: 'silence' } }),
  );
  const calls = runs.map((run) => run.run());
  await bystander.echoesExactly();
  const logged = (code: string) => server.logs.some((line) => line.code === code);
  await waitFor(
    () =>
      flood.made.length === 2 &&
      flood.made.every((transcriber) => transcriber.reported >= 10_000) &&
      chat.requests.length >= 2 &&
      ['VS_ERR_SPEECH_RESULT_TOO_LARGE', 'VS_ERR_SPEECH_RESULT_FLOOD', 'VS_ERR_TRANSCRIPT_DROPPED'].every(logged),
    30_000,
    'the flood to run its course',
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}: ${JSON.stringify(flood.made.map((transcriber) => transcriber.reported))} reported, ${chat.requests.length} chat requests`,
    );
  });
  const floodS = (performance.now() - startedAt) / 1000;
  // What /api/calls holds of the flooded calls while they are up: at most 50 finals each, each cut.
  const list = await (await fetch(`${server.baseUrl}/api/calls`)).text();
  const during = grownSince(before);
  for (const run of runs) run.control(run.legUuids()[0]!, 'hangup');
  const results = await Promise.all(calls);
  await bystander.echoesExactly();
  await bystander.close();
  const codes = (code: string) => server.logs.filter((line) => line.code === code).length;
  const reported = flood.made.reduce((sum, transcriber) => sum + transcriber.reported, 0);
  t.diagnostic(
    `flood: ${reported} finals of 1 MB reported in ${floodS.toFixed(1)} s (${Math.round(reported / 2 / floodS)} a second a call), ${posts} POSTs (at most ${mostInFlight} in flight), ${chat.requests.length} chat requests (at most ${chat.mostInFlight} at once), /api/calls ${(list.length / 1024).toFixed(0)} kB, heap +${during.heapMb.toFixed(1)} MB, RSS +${during.rssMb.toFixed(0)} MB`,
  );
  for (const result of results) assert.equal(result.leg?.end, 'caller-hangup');
  // The speech layer: results cut to 2000 characters, and the flood dropped past 50 a second.
  assert.ok(codes('VS_ERR_SPEECH_RESULT_TOO_LARGE') > 0 && codes('VS_ERR_SPEECH_RESULT_FLOOD') > 0, JSON.stringify(server.logs.filter((l) => l.code)));
  const shown = (JSON.parse(list) as CallList).calls.flatMap((call) => call.speech?.transcript ?? []);
  assert.ok(shown.length > 0 && shown.length <= 2 * 51, `${shown.length} results shown`);
  assert.ok(
    shown.every((line) => line.text.length <= 2000),
    'each result cut',
  );
  // Two calls of 50 finals of 2000 characters each, and their other fields: well under a megabyte.
  assert.ok(list.length < 1024 * 1024, `/api/calls is ${list.length} bytes`);
  // The transcribe app: eight POSTs in flight at most, the rest dropped with a coded line.
  assert.ok(mostInFlight <= 8, `${mostInFlight} POSTs in flight`);
  assert.ok(codes('VS_ERR_TRANSCRIPT_DROPPED') > 0);
  // The cascade: one request at a time, the next asking about everything heard since, each bounded.
  assert.equal(chat.mostInFlight, 1, 'one chat request at a time');
  // Each asks about words said after the last reply: speech heard while a request was under way goes
  // into the history after that request's reply, not into the message it answered.
  for (const [index, request] of chat.requests.entries()) {
    const roles = request.messages.map((m) => m.role).join(',');
    assert.equal(request.messages.at(-1)?.role, 'user', `request ${index}: ${roles}`);
  }
  assert.ok(chat.requests.length >= 1);
  // The history keeps at most 32 000 characters, each caller message at most 4000.
  for (const request of chat.requests) {
    assert.ok(JSON.stringify(request.messages).length < 48 * 1024, `a request of ${JSON.stringify(request.messages).length} bytes`);
    assert.ok(request.messages.every((m) => (m.content ?? '').length <= 4000));
  }
  assert.ok(during.heapMb < 32, `heap grew ${during.heapMb.toFixed(1)} MB`);
  // The resident set: the heap's growth, the pages V8 and the allocator keep after collecting it.
  // (Before, each 1 MB result went whole into chat requests of 30 MB and snapshots of 52 MB.)
  assert.ok(during.rssMb < 256, `RSS grew ${during.rssMb.toFixed(0)} MB`);
});
