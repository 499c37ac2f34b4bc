/**
 * `voicesocket dial --list`: a CSV dialled at a bounded concurrency, a busy number tried again after
 * its delay, a results CSV — and a run killed with SIGKILL in the middle, then started again, calls
 * nobody twice: the emulator's phone network counts the calls each number received. What the killed
 * run left ringing is looked up at Vonage: answered since (a person) or still ringing (hung up,
 * cancelled). The phones' ring times, not the test's timing, decide which.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { parseCsv } from '../../src/telephony/dial-csv.js';
import { waitFor } from '../helpers/server.js';
import { startEmulator, telephonyEnv } from './rig.js';

const PEOPLE = ['447700900401', '447700900402', '447700900403', '447700900404', '447700900405'];
const BUSY = '447700900409';

test('a dial list killed mid-run and started again calls nobody twice; busy is tried again; every number has its result', async (t) => {
  // The first two phones ring 0.6 s, then the person says a line and hangs up 1.5 s later. The third
  // rings 3 s and the fourth a minute: the kill below lands while both ring (they are dialled as the
  // first two are answered, at a concurrency of 2); the third is answered after the run is gone, the
  // fourth is still ringing when the run is started again.
  const person = (answerAfterMs: number) => ({ kind: 'person' as const, answerAfterMs, script: [{ say: 'Hello?' }, { hangup: true as const, atMs: 1500 }] });
  const ringMs = [600, 600, 3000, 60_000, 600];
  const [, , ANSWERED_LATE, STILL_RINGING] = PEOPLE;
  const emulator = await startEmulator(t, {
    phones: { ...Object.fromEntries(PEOPLE.map((number, i) => [number, person(ringMs[i]!)])), [BUSY]: { kind: 'busy', answerAfterMs: 50 } },
  });
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-dial-list-'));
  const list = join(dir, 'reminders.csv');
  await writeFile(
    list,
    [
      'number,name,appointment',
      ...PEOPLE.map((number, i) => `+${number},Person ${i},"Monday, 9:0${i}"`),
      `${BUSY},Busy Bee,Tuesday`,
      `${PEOPLE[0]},Again,Listed twice`,
      '',
    ].join('\n'),
  );
  const args = [
    'dial',
    '--list',
    list,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--concurrency',
    '2',
    '--dial-rate',
    '20/s',
    '--retries',
    '1',
    '--retry-delay',
    '1s',
  ];
  const env = { ...telephonyEnv(emulator), LOG_LEVEL: 'warn' };

  const first = spawnCli(args, env);
  let exited = false;
  first.once('exit', () => (exited = true));
  const journal = join(dir, 'reminders.journal');
  await waitFor(async () => (await readFile(`${journal}.lock`, 'utf8').catch(() => '')) !== '', 10_000, 'the first run to take the journal');
  const second = await runCli(args, env);
  assert.equal(second.code, 2, 'a second run while the first holds the journal is refused');
  assert.match(second.stderr, /VS_ERR_DIAL_JOURNAL: .*in use by another run/);
  // Killed, as a crash would, once two numbers have their result (a result is journaled when the call
  // is answered) and the two placed after them ring.
  await waitFor(
    async () => {
      assert.ok(!exited, 'the first run ended by itself');
      const entries = (await readFile(journal, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { kind: string; number: string });
      const answered = new Set(entries.filter((entry) => entry.kind === 'result').map((entry) => entry.number));
      const ringing = entries.filter((entry) => entry.kind === 'placed' && !answered.has(entry.number)).map((entry) => entry.number);
      return answered.size === 2 && ringing.includes(ANSWERED_LATE!) && ringing.includes(STILL_RINGING!);
    },
    20_000,
    'two results and two calls ringing',
  );
  first.kill('SIGKILL');
  await once(first, 'exit');
  const legTo = (number: string) => emulator.network.allLegs().find((leg) => leg.to === number)!;
  await waitFor(() => legTo(ANSWERED_LATE!).answeredAt !== undefined, 10_000, 'the third phone to answer, with nobody dialling');

  const resumed = await runCli(args, env);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /duplicate rows skipped: lines 8/);

  // Each number was called once, the busy one once more after its delay: nobody twice.
  const calls = new Map<string, number>();
  for (const leg of emulator.network.allLegs()) if (!leg.to.startsWith('ws')) calls.set(leg.to, (calls.get(leg.to) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(calls), { ...Object.fromEntries(PEOPLE.map((number) => [number, 1])), [BUSY]: 2 });
  // What the killed run left behind was looked up at Vonage, not dialled again: answered since (a
  // person), or still ringing, for nobody (hung up: cancelled).
  assert.match(resumed.stdout, new RegExp(`human +${ANSWERED_LATE} .*looked up at Vonage after the run stopped`));
  assert.match(resumed.stdout, new RegExp(`cancelled +${STILL_RINGING} .*looked up at Vonage after the run stopped`));
  assert.ok(!legTo(STILL_RINGING!).live, 'the call left ringing was hung up');

  const [header, ...rows] = parseCsv(await readFile(join(dir, 'reminders.results.csv'), 'utf8')).map((record) => record.fields);
  assert.deepEqual(header, ['line', 'number', 'outcome', 'status', 'attempts', 'uuid', 'detail', 'finished_at']);
  const byNumber = new Map(rows.map((row) => [row[1], row]));
  assert.equal(rows.length, PEOPLE.length + 1, 'one row per number');
  for (const number of PEOPLE) {
    const outcome = number === STILL_RINGING ? 'cancelled' : 'human';
    assert.equal(byNumber.get(number)?.[2], outcome, `${number}: ${byNumber.get(number)?.join(',')}`);
  }
  assert.equal(byNumber.get(STILL_RINGING!)?.[3], 'ringing');
  assert.deepEqual(byNumber.get(BUSY)?.slice(2, 5), ['busy', 'busy', '2']);
});
