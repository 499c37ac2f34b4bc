import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

// Its own bound, with a reason: the quick run takes about a minute alone; on a loaded 2-core machine
// it passed the suite's 120 s per test, as a whole bench (servers, engines, load) in one test.
test('npm run bench -- --quick: the suite runs end to end and prints sane figures (the full run is not for CI)', { timeout: 240_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'index.ts'), '--quick', '--no-write'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number];
  assert.equal(code, 0, `${stdout}\n${stderr.slice(-2000)}`);
  assert.match(stdout, /\| 20 \| voicesocket \|/);
  assert.match(stdout, /\| 20 \| bare-ws \|/);
  for (const line of stdout.split('\n').filter((l) => /^\| 20 \|/.test(l))) assert.match(line, /\| 0\.000 \|/, `no loss: ${line}`);
  assert.match(stdout, /requests\/s/);
  assert.equal((stdout.match(/\| 100\.0 % \| 0 \|/g) ?? []).length, 3, 'every pacer run: all frames exact, no underrun');
  assert.match(stdout, /frames of the old audio sent after clear\(\): 0\./);
  // Speech: the confusion table, barge-in with no prompt after the clear, WER and CPU lines.
  assert.match(stdout, /Voice menu .*\*\*\d+\/6 routed right/);
  assert.match(stdout, /\| said \\ routed to \| sales \| support \| operator \| nothing \| accuracy \|/);
  assert.match(stdout, /prompt frames the caller heard after the clear took effect: 0\./);
  assert.match(stdout, /word error rate \d+\.\d %/);
  // Transcribing calls: today's engine (the full run adds the one before), with calls per core.
  for (const engine of ['pocketsphinx'])
    assert.match(stdout, new RegExp(`\\| ${engine} \\| 1 \\| [\\d.]+ \\| [\\d.]+ \\([\\d.]+\\) \\| \\*\\*[\\d.]+\\*\\* \\|`));
  // Offline voices: espeak-ng always measured (the others only where installed).
  assert.match(stdout, /\| espeak-ng \(en-us\) \| \d+\.\d % \| \d+\.\d{3} \|/);
  // Real recorded speech: the word error rate of each way (the quick run: 16 kHz only).
  assert.match(stdout, /\| goforward \| 4 \|( \d+\.\d % \|){3}( — \|){3}/);
  // Agents: a row per provider, each with its figures (a provider whose call failed shows dashes).
  for (const provider of ['openai', 'gemini', 'elevenlabs', 'deepgram', 'cascade'])
    assert.match(
      stdout,
      new RegExp(`\\| ${provider} \\| 1 \\| \\d+ / \\d+ ms \\| \\d+ / \\d+ ms \\| \\d+ / \\d+ ms \\| \\d+ / \\d+ ms \\| \\d+ / \\d+ / \\d+ ms \\|`),
    );
  // Outbound calls: the list dialled within its bound, every call answered; answer → first audio for both apps.
  assert.match(stdout, /\| 6 \| 3 \| [\d.]+ \| \d+ \| [\d.]+ \| [\d.]+ \| [123] \| human 6 \|/);
  assert.match(stdout, /\| play a ready greeting \(baseline\) \| 2 \| \d+ \/ \d+ ms \| 1\.00 \|/);
  assert.match(stdout, /\| openai agent \(local Realtime server\) \| 2 \| \d+ \/ \d+ ms \| [\d.]+ \|/);
});
