/**
 * Replies that never end, for every provider, all at once beside a bystander whose echo must stay
 * exact: OpenAI, Gemini, ElevenLabs and Deepgram models that stream audio as fast as their sockets
 * take it (their SDKs push: what is held is bounded, and the reply cut with a coded line), and a
 * cascade whose synthesizer never stops (it is pulled only as fast as the caller hears it). The
 * heap's growth is bounded; before, one call's endless reply grew it by gigabytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startVoiceAgent } from '../../src/agents/agent-bridge.js';
import type { AgentProvider } from '../../src/agents/agent-link.js';
import { openaiProvider } from '../../src/agents/providers/openai.js';
import { geminiProvider } from '../../src/agents/providers/gemini.js';
import { elevenLabsProvider } from '../../src/agents/providers/elevenlabs.js';
import { deepgramAgentProvider } from '../../src/agents/providers/deepgram-agent.js';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import type { Synthesizer } from '../../src/speech/synthesizer.js';
import { CallRun } from '../../src/emulator/call.js';
import { startFakeRealtime } from '../helpers/fake-openai-realtime.js';
import { startFakeGemini } from '../helpers/fake-gemini-live.js';
import { startFakeElevenLabs } from '../helpers/fake-elevenlabs-agent.js';
import { startFakeDeepgramAgent } from '../helpers/fake-deepgram-agent.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { scriptedTranscriber } from '../helpers/fake-transcriber.js';
import { speechEngines } from '../../src/speech/engines.js';
import { Bystander, withBystander } from '../helpers/bystander.js';
import { heapSettles, memoryAfterGc, grownSince } from '../helpers/memory.js';

/**
 * A synthesizer that never stops: a second of tone per chunk, for ever (bounded here at an hour, so
 * that the code before the fix, which read it as fast as it could, failed the test rather than the
 * machine). It counts what was read of it.
 */
function endlessSynthesizer() {
  const pulled = { seconds: 0, stopped: false };
  const synthesizer: Synthesizer = {
    engine: 'endless',
    async *synthesize(_text, options) {
      const second = Buffer.alloc(options.sampleRate * 2);
      for (let i = 0; i < options.sampleRate; i++) second.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / options.sampleRate)), i * 2);
      try {
        while (!options.signal?.aborted && pulled.seconds < 3600) {
          pulled.seconds++;
          // A buffer of its own each time, as a real engine's output is.
          yield Buffer.from(second);
        }
      } finally {
        pulled.stopped = true;
      }
    },
  };
  return { synthesizer, pulled };
}

test('endless replies on every provider: memory bounded, each cut with a coded line, the bystander exact', async (t) => {
  const turns = [{ say: 'Hello.' }];
  const [openai, gemini, elevenlabs, deepgram, chat] = await Promise.all([
    startFakeRealtime({ greeting: 'Hello.', turns }),
    startFakeGemini({ turns }),
    startFakeElevenLabs({ turns }),
    startFakeDeepgramAgent({ turns }),
    startFakeChat({ turns }),
  ]);
  const pulling = endlessSynthesizer();
  const capped = endlessSynthesizer();
  const providers: Record<string, AgentProvider> = {
    openai: openaiProvider({ apiKey: openai.apiKey, url: openai.url, model: 'fake-endless' }),
    gemini: geminiProvider({ apiKey: gemini.apiKey, baseUrl: gemini.baseUrl, model: 'fake-endless' }),
    elevenlabs: elevenLabsProvider({ apiKey: elevenlabs.apiKey, baseUrl: elevenlabs.baseUrl, agentId: 'fake-endless' }),
    deepgram: deepgramAgentProvider({ apiKey: deepgram.apiKey, baseUrl: deepgram.baseUrl, think: { provider: 'open_ai', model: 'fake-endless' } }),
    cascade: cascadeProvider({ llm: { model: 'fake-model', apiKey: chat.apiKey, baseUrl: chat.baseUrl }, stt: 'silent', tts: pulling.synthesizer }),
    'cascade-capped': cascadeProvider({ llm: { model: 'fake-model', apiKey: chat.apiKey, baseUrl: chat.baseUrl }, stt: 'silent', tts: capped.synthesizer }),
  };
  // The cascades hear nothing (a scripted engine with no words): PocketSphinx's start is not what is tested.
  const speech = speechEngines();
  speech.register(
    'stt',
    ['silent'],
    scriptedTranscriber(() => ({})),
  );
  const server = await startTestServer({
    speech,
    app: withBystander((call) =>
      call.once('connected', (identity) => {
        const to = identity.to ?? '';
        startVoiceAgent(call, {
          provider: providers[to]!,
          instructions: 'Answer briefly.',
          greeting: 'Hello.',
          // Six calls start at once on a loaded machine: connecting is not what is tested.
          connectTimeoutMs: 20_000,
          // A small backlog, so that the bound is reached however slowly a loaded machine reads the floods.
          ...(to === 'cascade-capped' ? { maxReplyMs: 2000 } : { maxBacklogMs: 5000 }),
        });
      }),
    ),
  });
  t.after(async () => {
    await server.close();
    await Promise.all([openai.close(), gemini.close(), elevenlabs.close(), deepgram.close(), chat.close()]);
  });
  const bystander = await Bystander.join(server.socketUrl);
  const before = memoryAfterGc();
  const startedAt = performance.now();
  // The calls last until every reply has been cut (awaited, not timed: a loaded machine only makes
  // that later), then the callers hang up through the emulator's REST control.
  const runs = Object.keys(providers).map(
    (to) => new CallRun({ answerUrl: `${server.baseUrl}/webhooks/answer`, to, durationMs: 60_000, talk: 'skip', audio: { kind: 'silence' } }),
  );
  const calls = runs.map((run) => run.run());
  await bystander.echoesExactly();
  const cut = (provider: string) => server.logs.some((line) => line.code === 'VS_ERR_AGENT_REPLY_TOO_LONG' && line.provider === provider);
  const providersCut = ['openai', 'gemini', 'elevenlabs', 'deepgram', 'cascade'];
  await waitFor(() => providersCut.every(cut) && capped.pulled.stopped, 30_000, 'every endless reply to be cut').catch((error: Error) => {
    throw new Error(`${error.message}: not cut ${JSON.stringify(providersCut.filter((name) => !cut(name)))}, capped stopped ${capped.pulled.stopped}`);
  });
  // The heap while the floods' last buffers are in flight and the pulled synthesizer is still read.
  const during = grownSince(before);
  for (const run of runs) run.control(run.legUuids()[0]!, 'hangup');
  const results = await Promise.all(calls);
  const elapsedS = (performance.now() - startedAt) / 1000;
  // What is left once the calls' sockets (and the floods' buffers in them) have closed.
  const after = await heapSettles(before, 16);
  await bystander.echoesExactly();
  await bystander.close();
  const floods = {
    gemini: (gemini.sessions[0]?.spokenMs ?? 0) / 1000,
    elevenlabs: (elevenlabs.sessions[0]?.floodBytes ?? 0) / 32_000,
    deepgram: (deepgram.sessions[0]?.floodBytes ?? 0) / 32_000,
    openai: [...(openai.sessions[0]?.spoken.values() ?? [])].reduce((sum, ms) => sum + ms, 0) / 1000,
  };
  t.diagnostic(
    `heap +${during.heapMb.toFixed(1)} MB during, +${after.heapMb.toFixed(1)} MB after, RSS +${during.rssMb.toFixed(0)} MB during; sent by the models (s of audio): ${JSON.stringify(
      Object.fromEntries(Object.entries(floods).map(([name, seconds]) => [name, Math.round(seconds)])),
    )}; the synthesizer was read for ${pulling.pulled.seconds} s in ${elapsedS.toFixed(1)} s`,
  );
  for (const [index, result] of results.entries()) assert.equal(result.leg?.end, 'caller-hangup', `${Object.keys(providers)[index]}: ${result.leg?.end}`);
  // Each pushing model sent far more than a call holds: what was held is bounded, the reply cut.
  const failures = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED');
  for (const [name, seconds] of Object.entries(floods)) assert.ok(seconds > 30, `${name} sent ${seconds.toFixed(0)} s of audio; ${JSON.stringify(failures)}`);
  const cuts = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_REPLY_TOO_LONG');
  for (const provider of ['openai', 'gemini', 'elevenlabs', 'deepgram', 'cascade'])
    assert.ok(
      cuts.some((line) => line.provider === provider),
      `${provider}: ${JSON.stringify(cuts)}`,
    );
  // The endless synthesizer was read as the caller heard it: the call's length, the pacer's 10 s
  // queue and its lead, a chunk in hand (and a second of slack for the moment the test reads it).
  assert.ok(pulling.pulled.seconds <= elapsedS + 10 + 3, `read ${pulling.pulled.seconds} s of audio in ${elapsedS.toFixed(1)} s`);
  // The capped reply stopped its synthesizer at 2 s.
  assert.ok(capped.pulled.seconds <= 3, `read ${capped.pulled.seconds} s`);
  // Six calls each holding at most 10 s in the pacer and 5 s in their reply queue, at 16 kHz (half a
  // megabyte each), and Deepgram's link 2 MB waiting to be read; the rest is the floods in flight, both
  // ends of four sockets in this one process (the fakes send while their buffer is under 1 MB, in
  // chunks of 170 kB), which a loaded machine reads late: 11 to 39 MB measured, 64 MB allowed. Once
  // the calls have ended, little is left. (Before, the synthesizer alone was read for an hour of audio
  // in seconds: 115 MB; one call's endless reply grew the process by gigabytes.)
  assert.ok(during.heapMb < 64, `heap grew ${during.heapMb.toFixed(1)} MB during the calls`);
  assert.ok(after.heapMb < 16, `heap grew ${after.heapMb.toFixed(1)} MB after the calls`);
  // The resident set: the heap's growth, the pages V8 and the allocator keep after collecting it, and
  // the SDKs loaded during the calls; far from the gigabytes of an unbounded reply.
  assert.ok(during.rssMb < 256, `RSS grew ${during.rssMb.toFixed(0)} MB during the calls`);
});
