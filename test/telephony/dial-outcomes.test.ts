/**
 * Every outcome of a dial, through `@vonage/voice` against the emulator's phone network: a person, a
 * machine, busy, no answer, a rejection, an unreachable number, a cancel while it rings. The answered
 * calls reach the app with their context; the outcome is a typed result, an event of the call, a
 * dashboard row; and `voicesocket dial` prints it and exits with its status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutboundCall, type DialedCall } from '../../src/telephony/index.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { DialInfo, DialOutcomeEvent } from '../../src/call/telephony-types.js';
import { OUTCOME_EXIT_CODES } from '../../src/telephony/dial-outcome.js';
import { runCli } from '../helpers/cli.js';
import type { CallList } from '../../src/call/call-snapshot.js';
import { startEmulator, startTelephonyServer, telephonyEnv } from './rig.js';

const PERSON = '447700900301';
const MACHINE = '447700900302';
const BUSY = '447700900303';
const NO_ANSWER = '447700900304';
const REJECT = '447700900305';
const UNREACHABLE = '447700900306';
const SLOW = '447700900307';

const scenario = {
  phones: {
    [PERSON]: { kind: 'person' as const, answerAfterMs: 50, script: [{ say: 'Hello?' }] },
    [MACHINE]: { kind: 'machine' as const, answerAfterMs: 50, detectAfterMs: 200, greeting: 'Leave a message.', recordMs: 1000 },
    [BUSY]: { kind: 'busy' as const, answerAfterMs: 50 },
    [NO_ANSWER]: { kind: 'no-answer' as const },
    [REJECT]: { kind: 'reject' as const, answerAfterMs: 50 },
    [UNREACHABLE]: { kind: 'unreachable' as const, answerAfterMs: 50 },
    [SLOW]: { kind: 'person' as const, answerAfterMs: 60_000 },
  },
};

test('each outcome of a dial is typed, reaches the call as an event with its context, and shows on the dashboard', async (t) => {
  const emulator = await startEmulator(t, scenario);
  const seen: Array<{ dial: DialInfo | undefined; outcome: DialOutcomeEvent }> = [];
  // The app: says who it is for and hangs up once the outcome is known.
  const app = (call: CallSession) => {
    call.on('dial-outcome', async (outcome) => {
      seen.push({ dial: await call.dialed(), outcome });
      call.hangup(1000, 'done');
    });
  };
  const { server, baseUrl } = await startTelephonyServer(t, emulator, { app });
  const dial = (to: string, extra: Partial<Parameters<typeof createOutboundCall>[1]> = {}) =>
    createOutboundCall(server, { to, context: { name: `someone at ${to.replace('+', '')}` }, ...extra });
  const slow: DialedCall = dial(SLOW);
  const calls = [
    dial(PERSON),
    dial(`+${MACHINE}`, { machineDetection: { mode: 'detect' } }),
    dial(BUSY),
    dial(NO_ANSWER, { ringingTimerS: 1 }),
    dial(REJECT),
    dial(UNREACHABLE),
    slow,
  ];
  await slow.placed;
  await slow.cancel();
  const results = await Promise.all(calls.map((call) => call.ended));
  assert.deepEqual(
    results.map((result) => [result.to, result.outcome]),
    [
      [PERSON, 'human'],
      [MACHINE, 'machine'],
      [BUSY, 'busy'],
      [NO_ANSWER, 'unanswered'],
      [REJECT, 'rejected'],
      [UNREACHABLE, 'failed'],
      [SLOW, 'cancelled'],
    ],
  );
  assert.equal(results[1]!.status, 'machine');
  assert.match(results[5]!.detail ?? results[5]!.status, /failed|cannot_route/);
  for (const result of results) assert.ok(result.uuid, `${result.to} has its leg`);

  // The answered ones reached the app, with their context and their leg, on the call's own events.
  assert.deepEqual(seen.map(({ outcome }) => outcome.outcome).sort(), ['human', 'machine']);
  for (const { dial: info, outcome } of seen) {
    assert.deepEqual(info?.context, { name: `someone at ${info?.to}` });
    assert.equal(info?.uuid, outcome.uuid);
  }

  // The dashboard's rows.
  const { dials = [] } = (await (await fetch(`${baseUrl}/api/calls`)).json()) as CallList;
  assert.deepEqual(dials.map((row) => row.outcome).sort(), ['busy', 'cancelled', 'failed', 'human', 'machine', 'rejected', 'unanswered']);
  assert.ok(dials.every((row) => row.state === 'ended'));
});

test('voicesocket dial: the outcome is the output and the exit status; a bad number exits 2 with one line', async (t) => {
  const emulator = await startEmulator(t, scenario);
  const env = { ...telephonyEnv(emulator), LOG_LEVEL: 'warn' };
  const [person, busy, bad] = await Promise.all([
    runCli(['dial', PERSON, '--port', '0', '--host', '127.0.0.1', '--app', 'echo', '--length-timer', '2', '--json', '--context', '{"why":"a test"}'], env),
    runCli(['dial', BUSY, '--port', '0', '--host', '127.0.0.1'], env),
    runCli(['dial', '12', '--port', '0', '--host', '127.0.0.1'], env),
  ]);
  assert.equal(person.code, OUTCOME_EXIT_CODES.human, person.stderr);
  const result = JSON.parse(person.stdout) as { outcome: string; to: string; uuid: string };
  assert.equal(result.outcome, 'human');
  assert.equal(result.to, PERSON);
  assert.equal(busy.code, OUTCOME_EXIT_CODES.busy, busy.stderr);
  assert.match(busy.stdout, new RegExp(`^busy +${BUSY} \\(busy\\)`));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /^voicesocket: VS_ERR_DIAL_INVALID: .*"12" is not a phone number/);
});
