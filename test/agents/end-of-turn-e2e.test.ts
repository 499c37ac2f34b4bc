/**
 * The end-of-turn policy feeding the cascade, end to end (docs/turn-taking.md): the emulator's callers
 * speak, our detector finds their utterances, a recognizer of the test's own gives each its words
 * (test/helpers/fake-transcriber.ts: PocketSphinx's word errors on espeak-ng's voice are not under
 * test here), and what the chat model is asked shows where their turns ended. A
 * caller who pauses 1.2 s while reading out a number is not answered mid-number (before, any 500 ms
 * pause ended the turn); a caller who finishes a sentence ("...thanks") and 400 ms later goes on is
 * answered for the finished sentence (before, 400 ms was no end at all: one turn of both).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { agentServer, callAgent } from '../helpers/agent-harness.js';
import { waitFor } from '../helpers/server.js';
import { utteranceWords } from '../helpers/fake-transcriber.js';
import { speechEngines } from '../../src/speech/engines.js';

// espeak-ng's "my number is four five six" sounds for 1.64 s at its default speed: 1.16 s of pause follow it.
const READING = [
  { text: 'my number is four five six', atMs: 800 },
  { text: 'seven eight nine', atMs: 3600 },
];
// "that is all thanks" sounds for 1.06 s: 390 ms of pause before "goodbye".
const FINISHING = [
  { text: 'that is all thanks', atMs: 800 },
  { text: 'goodbye', atMs: 2250 },
];

test('end of turn: a pause inside a number does not end the turn; a pause after a finished sentence does', async (t) => {
  const chat = await startFakeChat({ turns: [{ say: 'Got it.' }], tokensPerSecond: 50 });
  const speech = speechEngines();
  speech.register('stt', ['number-reader'], utteranceWords(READING));
  speech.register('stt', ['sentence-finisher'], utteranceWords(FINISHING));
  const { server } = await agentServer(
    (to) =>
      cascadeProvider({
        llm: { model: 'fake-model', apiKey: chat.apiKey, baseUrl: chat.baseUrl },
        stt: to === '447700900020' ? 'number-reader' : 'sentence-finisher',
        tts: espeakSynthesizer,
        streamIdleMs: 1500,
      }),
    { speech, connectTimeoutMs: 10_000 },
  );
  t.after(async () => {
    await server.close();
    await chat.close();
  });
  const [reading, finishing] = await Promise.all([
    callAgent(server.baseUrl, '447700900020', READING, 8000, []),
    callAgent(server.baseUrl, '447700900021', FINISHING, 6000, []),
  ]);
  for (const result of [reading, finishing]) assert.equal(result.accepted, true, result.problems.join('; '));
  await waitFor(() => chat.requests.length >= 2, 5000, 'the chat requests');
  const firstAsked = (words: RegExp) =>
    chat.requests.map((r) => r.messages.filter((m) => m.role === 'user').map((m) => String(m.content))).find((users) => users.some((u) => words.test(u)));
  const number = firstAsked(/number|four|five/);
  const thanks = firstAsked(/thanks|all/);
  t.diagnostic(`asked: ${JSON.stringify(chat.requests.map((r) => r.messages.filter((m) => m.role === 'user').map((m) => m.content)))}`);
  assert.ok(number, 'the number reader was answered');
  assert.match(number.join(' '), /seven|eight|nine/, 'the first request had the whole number: the pause inside it did not end the turn');
  assert.ok(thanks, 'the finished sentence was answered');
  assert.doesNotMatch(thanks.join(' '), /goodbye/, 'the first request came after the finished sentence, before "goodbye"');
});
