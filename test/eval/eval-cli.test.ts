/**
 * `voicesocket eval` end to end: the real CLI runs the example scenarios (docs/examples/eval/agent.yaml)
 * against `serve --app agent` on the cascade (the server's PocketSphinx and espeak-ng around the local
 * chat-completions fake), side by side. One scenario must pass (greeting heard, hang_up in the call's
 * record, the agent hung up, a response within the bound, no talk-over), one must fail (a phrase the
 * agent never says); the JUnit XML is read back by a real XML parser (Python's ElementTree, which the
 * offline recogniser's driver already needs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLogLines, ROOT, runCli, spawnCascadeAgent, waitForLogLine } from '../helpers/cli.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';

const GREETING = 'Hello! How can I help you today?';
const GOODBYE = 'Thank you for calling, goodbye.';

/** The JUnit file as ElementTree reads it: each testcase's name and its failure message, if any. */
function parseJunit(path: string): { tests: string; failures: string; cases: Array<{ name: string; failure: string | null }> } {
  const script = [
    'import json, sys, xml.etree.ElementTree as ET',
    'root = ET.parse(sys.argv[1]).getroot()',
    "suite = root.find('testsuite')",
    "cases = [{'name': c.get('name'), 'failure': (c.find('failure').get('message') if c.find('failure') is not None else None)} for c in suite.iter('testcase')]",
    "print(json.dumps({'tests': suite.get('tests'), 'failures': suite.get('failures'), 'cases': cases}))",
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as ReturnType<typeof parseJunit>;
}

test('eval: the agent app on the cascade passes its scenario, fails the wrong phrase, and the JUnit XML says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'eval-'));
  const chat = await startFakeChat({ turns: [{ say: GOODBYE, call: 'hang_up', arguments: { reason: 'the caller is done' } }] });
  const server = spawnCascadeAgent(chat, GREETING, ['--model', 'local-model', '--call-records', join(dir, 'records')]);
  t.after(async () => {
    server.kill('SIGKILL');
    await chat.close();
    await rm(dir, { recursive: true, force: true });
  });
  collectLogLines(server);
  const ready = await waitForLogLine(server, (line) => String(line.msg).startsWith('voicesocket listening'));
  const answerUrl = String(ready.answerUrl);
  const junit = join(dir, 'eval.xml');
  const run = await runCli([
    'eval',
    join(ROOT, 'docs/examples/eval/agent.yaml'),
    '--answer-url',
    answerUrl,
    '--records',
    answerUrl.replace(/\/webhooks\/answer$/, ''),
    '--junit',
    junit,
  ]);
  assert.equal(run.code, 1, `one scenario must fail, so the exit code is 1\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^PASS {2}greets, answers in time and hangs up/m, run.stdout);
  assert.match(run.stdout, /ok {3}tools {5}called: hang_up/, run.stdout);
  assert.match(run.stdout, /ok {3}hangup {4}expected the agent to hang up; the agent did/, run.stdout);
  // The measured response: the caller's "goodbye" ended, the server's detector waited out its 500 ms
  // end of speech, PocketSphinx, the fake model and espeak-ng answered. Above 500 ms by construction;
  // the bound of 5 s in the scenario is what is judged.
  const response = /ok {3}response {2}responses (\d+) ms/.exec(run.stdout);
  assert.ok(response && Number(response[1]) >= 500, run.stdout);
  assert.match(run.stdout, /^FAIL {2}a phrase the agent never says/m);
  assert.match(
    run.stdout,
    /FAIL says {6}"Your order has been cancelled\.": not heard; heard "hello how can i help you today", "thank you for calling goodbye"/,
  );
  assert.match(run.stdout, /1 of 2 scenario\(s\) passed/);

  const report = parseJunit(junit);
  assert.equal(report.tests, '2');
  assert.equal(report.failures, '1');
  assert.deepEqual(
    report.cases.map((c) => c.name),
    ['greets, answers in time and hangs up', 'a phrase the agent never says (this one must FAIL)'],
  );
  assert.equal(report.cases[0]!.failure, null);
  assert.match(report.cases[1]!.failure ?? '', /^says: "Your order has been cancelled\.": not heard/);
  assert.match(await readFile(junit, 'utf8'), /^<\?xml version="1.0" encoding="UTF-8"\?>/);
});

test('eval: a scenario file that is not valid exits 2 with one coded line naming the file, the scenario and the field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eval-bad-'));
  try {
    const file = join(dir, 'bad.yaml');
    await import('node:fs/promises').then(({ writeFile }) =>
      writeFile(file, 'scenarios:\n  - name: ok\n    caller: [{ say: hi, at: 1s }]\n  - name: broken\n    caller: [{ say: hi, at: soon }]\n'),
    );
    const run = await runCli(['eval', file, '--answer-url', 'http://127.0.0.1:9/webhooks/answer']);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /VS_ERR_EVAL_SCENARIO: .*bad\.yaml: scenario 2 "broken": field caller\.0\.at: "soon" is not a time/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
