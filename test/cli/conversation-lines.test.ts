/**
 * The conversation in the terminal: `serve --app transcribe` prints each final result, `serve --app
 * agent` each turn (the caller's words, the reply with its latency split, an interruption), as a
 * readable line (the log record's message) with the same in its `conversation` object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLine, latencyWords, TurnLines, type ConversationLine } from '../../src/cli/conversation-lines.js';
import type { AgentTurnSnapshot } from '../../src/call/call-types.js';
import { collectLogLines, runCli, spawnCascadeAgent, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { waitFor } from '../helpers/server.js';

const texts = (lines: ConversationLine[]) => lines.map((line) => formatLine('3f2a1b0c-0000', line));

test('turn lines: the greeting once it stops growing, the caller, the reply with its latency, more of it, an interruption', () => {
  const turns = new TurnLines();
  const greeting: AgentTurnSnapshot = { agent: 'Hello!' };
  assert.deepEqual(turns.read([greeting]), [], 'a reply is printed once it reads the same twice');
  assert.deepEqual(texts(turns.read([{ agent: 'Hello! How can I help?' }])), [], 'it grew');
  assert.deepEqual(texts(turns.read([{ agent: 'Hello! How can I help?' }])), ['3f2a1b0c agent: Hello! How can I help?']);
  const asked: AgentTurnSnapshot = { callerEndMs: 4020, caller: 'What time do you open?' };
  assert.deepEqual(texts(turns.read([{ agent: 'Hello! How can I help?' }, asked])), ['3f2a1b0c caller at 4.0 s: What time do you open?']);
  const latency = { totalMs: 1234, modelMs: 700, oursMs: 14, recognitionMs: 400, synthesisMs: 120 };
  const answered = { ...asked, agent: 'We open at nine.', latency };
  turns.read([{ agent: 'Hello! How can I help?' }, answered]);
  assert.deepEqual(texts(turns.read([{ agent: 'Hello! How can I help?' }, answered])), [
    '3f2a1b0c agent (reply after 1.23 s: recognition 0.40 s, model 0.70 s, synthesis 0.12 s, ours 0.01 s): We open at nine.',
  ]);
  // The cascade went on speaking after the line was printed, then the caller talked over it.
  const cut = { ...answered, agent: 'We open at nine. And close at six.', interrupted: { heardMs: 1500, sentMs: 3000 } };
  assert.deepEqual(texts(turns.read([{ agent: 'Hello! How can I help?' }, cut])), [
    '3f2a1b0c agent (more): And close at six.',
    '3f2a1b0c agent was interrupted: the caller heard 1.5 s of 3.0 s',
  ]);
  assert.deepEqual(turns.read([{ agent: 'Hello! How can I help?' }, cut], true), [], 'nothing twice');
});

test('turn lines: the call ended prints what is left; a reply without a latency is printed plain', () => {
  const turns = new TurnLines();
  assert.deepEqual(texts(turns.read([{ agent: 'Goodbye.' }], true)), ['3f2a1b0c agent: Goodbye.']);
  assert.equal(latencyWords({ totalMs: 900, modelMs: 800, oursMs: 100 }), 'reply after 0.90 s: model 0.80 s, ours 0.10 s');
});

test('turn lines: the turn log keeps the latest 50; a reading whose head fell off is matched by the turns it shares', () => {
  const turns = new TurnLines();
  const turn = (n: number): AgentTurnSnapshot => ({ callerEndMs: n * 1000, caller: `question ${n}`, agent: `answer ${n}` });
  const first = Array.from({ length: 50 }, (_, i) => turn(i));
  assert.equal(turns.read(first).filter((line) => line.who === 'caller').length, 50);
  // Two more turns: the two oldest fell off. Only the new ones are printed.
  const later = [...first.slice(2), turn(50), turn(51)];
  assert.deepEqual(
    turns.read(later).map((line) => line.text),
    ['answer 49', 'question 50', 'answer 50', 'question 51'],
  );
});

/** The conversation records a serve printed. */
function conversation(lines: Array<Record<string, unknown>>): Array<{ msg: string } & ConversationLine> {
  return lines.filter((line) => line.conversation).map((line) => ({ msg: String(line.msg), ...(line.conversation as ConversationLine) }));
}

test("serve --app transcribe and --app agent (the cascade) print what callers and agents say, with the reply's latency split", async (t) => {
  const chat = await startFakeChat({ turns: [{ say: 'We open at nine in the morning.' }] });
  const transcribe = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--app', 'transcribe']);
  const agent = spawnCascadeAgent(chat, 'Hello there.');
  t.after(async () => {
    transcribe.kill('SIGKILL');
    agent.kill('SIGKILL');
    await chat.close();
  });
  const [transcribeLines, agentLines] = [collectLogLines(transcribe), collectLogLines(agent)];
  const listening = (line: Record<string, unknown>) => String(line.msg).startsWith('voicesocket listening');
  const [transcribeReady, agentReady] = await Promise.all([waitForLogLine(transcribe, listening), waitForLogLine(agent, listening)]);
  // Each server's start line suggests a test call that says something: it is run as printed.
  const suggested = [transcribeReady, agentReady].map((ready) => {
    const command = /test call: npx voicesocket call (\S+) --say '([^']+)' \(what is said prints here\)/.exec(String(ready.msg));
    assert.ok(command, String(ready.msg));
    return ['call', command[1]!, '--say', command[2]!];
  });
  for (const called of await Promise.all(suggested.map((args) => runCli(args)))) assert.equal(called.code, 0, called.stderr);
  // The last lines come as each call ends.
  await waitFor(() => conversation(agentLines).some((line) => line.who === 'agent' && line.latency), 5000, 'the reply line');
  const heard = conversation(transcribeLines);
  assert.equal(heard.length, 1, JSON.stringify(heard));
  assert.equal(heard[0]!.who, 'caller');
  assert.match(heard[0]!.msg, /^[0-9a-f]{8} caller at \d+\.\d s: \S/);
  assert.ok(heard[0]!.atMs! >= 900, `the words began about 1 s into the call: ${JSON.stringify(heard[0])}`);

  const said = conversation(agentLines);
  t.diagnostic([...heard, ...said].map((line) => line.msg).join('\n'));
  assert.deepEqual(
    said.map((line) => line.who),
    ['agent', 'caller', 'agent'],
    JSON.stringify(said),
  );
  assert.match(said[0]!.msg, /^[0-9a-f]{8} agent: Hello there\.$/);
  // PocketSphinx's words for espeak-ng's voice vary with the engine's settings (the cascade asks for no interim results).
  assert.match(said[1]!.msg, /^[0-9a-f]{8} caller at \d+\.\d s: \S/);
  const reply = said[2]!;
  assert.match(
    reply.msg,
    /agent \(reply after \d+\.\d\d s: recognition \d+\.\d\d s, model \d+\.\d\d s, synthesis \d+\.\d\d s, ours \d+\.\d\d s\): We open at nine in the morning\.$/,
  );
  // The cascade's latency apart: our recognition and synthesis, not all of it on the model.
  const { totalMs, recognitionMs, modelMs, synthesisMs, oursMs } = reply.latency!;
  for (const share of [recognitionMs!, modelMs, synthesisMs!, oursMs]) assert.ok(share >= 0, JSON.stringify(reply.latency));
  assert.ok(
    Math.abs(recognitionMs! + modelMs + synthesisMs! + oursMs - totalMs) <= 2,
    `the shares add up to the whole (rounding): ${JSON.stringify(reply.latency)}`,
  );
});
