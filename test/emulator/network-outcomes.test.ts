/**
 * Every way an outbound call ends, placed with `@vonage/voice` on the emulated phone network, and the
 * event webhooks Vonage documents for each, in order and shape (docs/protocol.md §16).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './network-harness.js';
import { waitFor } from '../helpers/server.js';

const PERSON = '447700900101';
const BUSY = '447700900102';
const NO_ANSWER = '447700900103';
const REJECT = '447700900104';
const UNAVAILABLE = '447700900105';
const UNREACHABLE = '447700900106';
const SLOW = '447700900107';

const scenario = {
  phones: {
    [PERSON]: { kind: 'person' as const, answerAfterMs: 100, script: [{ say: 'Hello?' }, { hangup: true as const, atMs: 1500 }] },
    [BUSY]: { kind: 'busy' as const, answerAfterMs: 50 },
    [NO_ANSWER]: { kind: 'no-answer' as const },
    [REJECT]: { kind: 'reject' as const, answerAfterMs: 50 },
    [UNAVAILABLE]: { kind: 'unavailable' as const, answerAfterMs: 50 },
    [UNREACHABLE]: { kind: 'unreachable' as const, answerAfterMs: 50, detail: 'number_out_of_service' as const },
    [SLOW]: { kind: 'person' as const, answerAfterMs: 60_000 },
  },
};

test('each outcome posts the statuses Vonage documents, in order, ending in completed except after rejected', async (t) => {
  const network = await startNetwork(t, scenario);
  const ncco = [{ action: 'conversation', name: 'outcomes' }];
  const [person, busy, noAnswer, reject, unavailable, unreachable, slow] = await Promise.all(
    [PERSON, BUSY, NO_ANSWER, REJECT, UNAVAILABLE, UNREACHABLE, SLOW].map((number) => network.call(number, { ncco, ringingTimer: 1 })),
  );
  // A call cancelled while it rings: the app hangs up before the callee answers.
  await waitFor(() => network.statuses(slow!).includes('ringing'), 5000, 'the slow phone to ring');
  await network.voice.hangupCall(slow!);
  await network.emulator.network.settled();

  // The NCCO's `conversation` moves the leg into the named conversation: a `transfer` event.
  assert.deepEqual(network.statuses(person!), ['started', 'ringing', 'answered', 'transfer', 'completed']);
  assert.deepEqual(network.statuses(busy!), ['started', 'busy', 'completed']);
  assert.deepEqual(network.statuses(noAnswer!), ['started', 'ringing', 'timeout', 'completed']);
  assert.deepEqual(network.statuses(reject!), ['started', 'ringing', 'rejected']);
  assert.deepEqual(network.statuses(unavailable!), ['started', 'unanswered', 'completed']);
  assert.deepEqual(network.statuses(unreachable!), ['started', 'failed', 'completed']);
  assert.deepEqual(network.statuses(slow!), ['started', 'ringing', 'cancelled', 'completed']);

  const detail = (uuid: string, status: string) => network.events(uuid).find((body) => body.status === status)?.detail;
  assert.equal(detail(reject!, 'rejected'), 'declined');
  assert.equal(detail(unavailable!, 'unanswered'), 'unavailable');
  assert.equal(detail(unreachable!, 'failed'), 'number_out_of_service');

  // Shapes: every status event names the leg, its conversation, both ends and the direction.
  const [started, transfer] = [network.events(person!)[0]!, network.events(person!)[3]!];
  assert.deepEqual(Object.keys(transfer).sort(), ['conversation_uuid_from', 'conversation_uuid_to', 'timestamp', 'uuid']);
  assert.equal(transfer.conversation_uuid_from, started.conversation_uuid);
  assert.match(String(transfer.conversation_uuid_to), /^CON-/);
  assert.notEqual(transfer.conversation_uuid_to, transfer.conversation_uuid_from);
  for (const body of network.events(person!).filter((event) => event.status)) {
    assert.equal(body.uuid, person);
    assert.match(String(body.conversation_uuid), /^CON-/);
    assert.equal(body.from, '447700900000');
    assert.equal(body.to, PERSON);
    assert.equal(body.direction, 'outbound');
    assert.ok(!Number.isNaN(Date.parse(String(body.timestamp))));
  }
  const answered = network.events(person!).find((body) => body.status === 'answered')!;
  assert.deepEqual([answered.start_time, answered.rate, answered.network], [null, null, null]);
  // The person hung up 1.5 s after answering: billed from the answer, priced at the scenario's rate.
  const completed = network.events(person!).at(-1)!;
  assert.equal(completed.disconnected_by, 'user');
  assert.ok(['1', '2'].includes(String(completed.duration)), `duration ${String(completed.duration)}`);
  assert.equal(completed.rate, '0.00450000');
  assert.equal(completed.price, ((0.0045 * Number(completed.duration)) / 60).toFixed(8));
  assert.equal(completed.network, 'GB-FIXED');
  assert.ok(Date.parse(String(completed.end_time)) > Date.parse(String(completed.start_time)));
  const unbilled = network.events(busy!).at(-1)!;
  assert.deepEqual([unbilled.duration, unbilled.price], ['0', '0.00000000']);

  // The REST records agree with the events.
  const record = await network.voice.getCall(person!);
  assert.equal(record.status, 'completed');
  assert.equal((record as unknown as { to: { number: string } }).to.number, PERSON);
  assert.equal((await network.voice.getCall(reject!)).status, 'rejected');
});

test('POST /v1/calls refuses what Vonage refuses, saying which field', async (t) => {
  const network = await startNetwork(t, scenario);
  const post = (body: unknown) =>
    network.voice.createOutboundCall(body as never).then(
      () => 'accepted',
      (error: Error & { response?: { status?: number } }) => error.response?.status,
    );
  assert.equal(await post({ to: [{ type: 'phone', number: 'abc' }], ncco: [{ action: 'talk', text: 'x' }] }), 400);
  assert.equal(await post({ to: [{ type: 'phone', number: PERSON }] }), 400, 'no ncco or answer_url');
  assert.equal(await post({ to: [{ type: 'phone', number: PERSON }], ncco: [{ action: 'talk', text: 'x' }], ringingTimer: 121 }), 400);
  assert.equal(await post({ to: [{ type: 'phone', number: PERSON }], ncco: [{ action: 'talk', text: 'x' }], lengthTimer: 0 }), 400);
  assert.equal(
    await post({
      to: [{ type: 'phone', number: PERSON }],
      ncco: [{ action: 'talk', text: 'x' }],
      advancedMachineDetection: { behavior: 'continue', mode: 'detect_beep', beepTimeout: 10 },
    }),
    400,
  );
  assert.equal(await post({ to: [{ type: 'pigeon' }], ncco: [{ action: 'talk', text: 'x' }] }), 400);
  const response = await fetch(`${network.emulator.restUrl}/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(response.status, 401, 'no JWT');
});
