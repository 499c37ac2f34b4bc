/**
 * Answering machines on the emulated phone network, driven through `@vonage/voice`: machine
 * detection's events in Vonage's order and shapes, the answer webhook waiting for the verdict in the
 * synchronous modes, hang-up on a machine, beep and no beep; and a voicemail left after the beep,
 * found in the machine's recording by the offline recogniser.
 */
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { startNetwork } from './network-harness.js';
import { waitFor } from '../helpers/server.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';

const PERSON = '447700900201';
const MACHINE = '447700900202';
const MACHINE_HANGUP = '447700900203';
const NO_BEEP = '447700900204';
const ASYNC_MACHINE = '447700900205';
const STANDARD = '447700900206';
const VOICEMAIL = '447700900207';

const machine = { kind: 'machine' as const, answerAfterMs: 50, detectAfterMs: 300, greeting: 'Leave a message.', beepAfterMs: 100, recordMs: 1500 };

test('machine detection: human, machine, beep_start, beep_timeout, hang-up, and when the answer webhook is fetched', async (t) => {
  const network = await startNetwork(
    t,
    {
      phones: {
        [PERSON]: { kind: 'person', answerAfterMs: 50, detectAfterMs: 300, script: [{ say: 'Hello?' }, { hangup: true, atMs: 1500 }] },
        [MACHINE]: machine,
        [MACHINE_HANGUP]: machine,
        [NO_BEEP]: { ...machine, beep: false, recordMs: 2500 },
        [ASYNC_MACHINE]: { ...machine, detectAfterMs: 1000, recordMs: 3000 },
        [STANDARD]: machine,
      },
    },
    {
      // A request without beep_timeout waits this long (the API's own minimum is 45 s).
      switches: { defaultBeepTimeoutS: 1 },
      reply: (request) => (request.path === '/answer' ? { json: [{ action: 'conversation', name: `held-${request.query.uuid}` }] } : undefined),
    },
  );
  const answerUrl = [`${network.app.base}/answer`];
  const advanced = (mode: string, behavior = 'continue', beepTimeout?: number) => ({ answerUrl, advancedMachineDetection: { behavior, mode, beepTimeout } });
  const [person, machineLeg, hungUp, noBeep, asyncLeg, standard] = await Promise.all([
    network.call(PERSON, advanced('detect')),
    network.call(MACHINE, advanced('detect_beep', 'continue', 45)),
    network.call(MACHINE_HANGUP, advanced('detect', 'hangup')),
    network.call(NO_BEEP, advanced('detect_beep')),
    network.call(ASYNC_MACHINE, advanced('default')),
    network.call(STANDARD, { answerUrl, machineDetection: 'hangup' }),
  ]);
  await network.emulator.network.settled();

  assert.deepEqual(network.statuses(person!), ['started', 'ringing', 'answered', 'human', 'transfer', 'completed']);
  assert.deepEqual(network.statuses(machineLeg!), ['started', 'ringing', 'answered', 'machine', 'transfer', 'machine', 'completed']);
  assert.deepEqual(network.statuses(hungUp!), ['started', 'ringing', 'answered', 'machine', 'completed']);
  assert.deepEqual(network.statuses(noBeep!), ['started', 'ringing', 'answered', 'machine', 'transfer', 'machine', 'completed']);
  // Standard detection does not hold the answer: whether the NCCO's move came before the verdict is a race.
  assert.deepEqual(
    network.statuses(standard!).filter((status) => status !== 'transfer'),
    ['started', 'ringing', 'answered', 'machine', 'completed'],
  );

  // The verdict names the leg `call_uuid`, as the webhook reference has it; beep detection adds `sub_state`.
  const verdicts = (uuid: string) => network.events(uuid).filter((body) => body.status === 'human' || body.status === 'machine');
  const [human] = verdicts(person!);
  assert.deepEqual(Object.keys(human!).sort(), ['call_uuid', 'conversation_uuid', 'from', 'status', 'timestamp', 'to']);
  assert.equal(human!.call_uuid, person);
  assert.deepEqual(
    verdicts(machineLeg!).map((body) => body.sub_state),
    [undefined, 'beep_start'],
  );
  assert.deepEqual(
    verdicts(noBeep!).map((body) => body.sub_state),
    [undefined, 'beep_timeout'],
  );
  assert.equal(network.events(hungUp!).at(-1)!.disconnected_by, 'platform');

  // detect and detect_beep are synchronous: the answer webhook comes after the verdict; `default` is
  // asynchronous (the answer at once, the verdict 1 s later); hang-up on a machine fetches no answer.
  const order = (uuid: string) =>
    network.app.requests
      .filter((request) => request.query.uuid === uuid || (request.body as { call_uuid?: string } | undefined)?.call_uuid === uuid)
      .map((request) => (request.path === '/answer' ? 'answer' : String((request.body as { status: string }).status)))
      .filter((step) => step === 'answer' || step === 'human' || step === 'machine');
  assert.deepEqual(order(person!), ['human', 'answer']);
  assert.deepEqual(order(machineLeg!), ['machine', 'answer', 'machine']);
  assert.deepEqual(order(hungUp!), ['machine']);
  assert.deepEqual(order(asyncLeg!), ['answer', 'machine', 'machine']);
});

test('a message played after the beep is in the machine voicemail; one played during the greeting is not', async (t) => {
  const network = await startNetwork(t, {
    phones: {
      [VOICEMAIL]: {
        kind: 'machine',
        answerAfterMs: 50,
        detectAfterMs: 300,
        greeting: 'Please leave a message after the tone.',
        endOnSilenceMs: 1200,
      },
    },
  });
  const uuid = await network.call(VOICEMAIL, {
    ncco: [{ action: 'conversation', name: 'voicemail' }],
    advancedMachineDetection: { behavior: 'continue', mode: 'detect_beep' },
  });
  await waitFor(() => network.statuses(uuid).includes('answered'), 5000, 'the machine to answer');
  await network.voice.playTTS(uuid, { text: 'this part is too early' } as never);
  await waitFor(() => network.events(uuid).some((body) => body.sub_state === 'beep_start'), 15_000, 'the beep');
  // Vonage reports the beep's start; the machine records from its end (the scenario's default 500 ms beep).
  await sleep(500);
  await network.voice.playTTS(uuid, { text: 'your appointment is on monday at nine' } as never);
  // The machine hangs up on the silence after the message.
  await network.emulator.network.settled();

  const [recording] = network.emulator.network.recordingsOf(VOICEMAIL);
  assert.ok(recording?.voicemail, 'the machine kept a voicemail');
  assert.ok(recording.voicemailAtMs! > 2000, `the voicemail starts after the greeting and the beep (${recording.voicemailAtMs} ms)`);
  const choices = ['your appointment is on monday at nine', 'this part is too early', 'please leave a message after the tone'];
  const heard = async (pcm: Buffer) => (await transcribeRecording(pcm, recording.sampleRate, { choices })).map((final) => final.text);
  assert.deepEqual(await heard(recording.voicemail), ['your appointment is on monday at nine']);
  // The whole call, from the machine's end: the early message too (the machine heard it, before recording).
  assert.ok((await heard(recording.heard)).includes('this part is too early'));
});
