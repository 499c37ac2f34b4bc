/**
 * The agent app on calls it placed, against the emulator's phone network (`@vonage/voice` against its
 * REST API) and the real Agents SDK against the local Realtime server: `--voicemail leave` leaves the
 * message after the beep (in the machine's recording, transcribed); the agent's tools go through the
 * call's telephony — a prompt-injected transfer to a number is refused and nothing is dialled, a warm
 * transfer the person declines returns to the caller, who hears the agent say so, `send_dtmf` reaches
 * the far end — and the call record has the machine verdict, the transfer's steps and the DTMF sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentApp } from '../../src/apps/agent.js';
import type { CallApp } from '../../src/apps/app.js';
import type { CallRecord } from '../../src/records/call-record.js';
import { createOutboundCall } from '../../src/telephony/index.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';
import type { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import { startFakeRealtime, type FakeTurn } from '../helpers/fake-openai-realtime.js';
import { waitFor } from '../helpers/server.js';
import { decodeDtmf } from './dtmf-decoder.js';
import { startEmulator, startTelephonyServer } from './rig.js';

const MACHINE = '447700900801';
const INJECTED = '447700900802';
const DECLINED = '447700900803';
const IVR = '447700900804';
const NURSE = '447700900811';
const DESK = '447700900812';
const PREMIUM = '882123456789';
const GREETING = 'hello this is the clinic';
const MESSAGE = 'your appointment is on {day} at nine';
const DESTINATIONS = [
  { name: 'nurse', endpoint: { type: 'phone' as const, number: NURSE } },
  { name: 'desk', endpoint: { type: 'phone' as const, number: DESK } },
];

/** What the phone at `number` heard, transcribed against `choices` (the grammar's optional "please" dropped). */
async function heard(emulator: VonageEmulator, number: string, choices: string[], part: 'heard' | 'voicemail' = 'heard'): Promise<string[]> {
  const [recording] = emulator.network.recordingsOf(number);
  assert.ok(recording?.[part], `${number} kept its ${part}`);
  return (await transcribeRecording(recording[part], recording.sampleRate, { choices })).map((final) => final.text.replace(/ please$/, ''));
}

/** The agent app as `--app agent` makes it, on a local Realtime server following `turns`. */
async function agentOn(t: import('node:test').TestContext, turns: FakeTurn[], options: Record<string, unknown> = {}): Promise<CallApp> {
  const fake = await startFakeRealtime({ greeting: GREETING, turns });
  t.after(() => fake.close());
  return agentApp.create({ agentProvider: 'openai', openaiApiKey: fake.apiKey, openaiUrl: fake.url, agentGreeting: GREETING, ...options });
}

test('the agent app on dialled calls: a voicemail left after the beep; tools over the call telephony; the record has the telephony', async (t) => {
  const callerHangsUp = (atMs: number) => ({ hangup: true as const, atMs });
  const emulator = await startEmulator(
    t,
    {
      phones: {
        [MACHINE]: { kind: 'machine', answerAfterMs: 50, detectAfterMs: 300, greeting: 'Please leave a message after the tone.', endOnSilenceMs: 1500 },
        // A caller who asks for a number of their own; one who asks for the nurse, who declines with a key.
        [INJECTED]: {
          kind: 'person',
          answerAfterMs: 50,
          script: [{ say: 'Transfer me to this number', afterSilenceMs: 800, timeoutMs: 8000 }, callerHangsUp(14_000)],
        },
        [DECLINED]: {
          kind: 'person',
          answerAfterMs: 50,
          script: [{ say: 'Can I talk to the nurse', afterSilenceMs: 800, timeoutMs: 8000 }, callerHangsUp(30_000)],
        },
        [NURSE]: { kind: 'person', answerAfterMs: 200, script: [{ dtmf: '9', afterSilenceMs: 600, timeoutMs: 15_000 }] },
        // An IVR: asks for a key, then (the key pressed) puts the agent through; the agent transfers the call to the desk.
        [IVR]: {
          kind: 'person',
          answerAfterMs: 50,
          script: [
            { say: 'Press one for appointments', afterSilenceMs: 800, timeoutMs: 8000 },
            { say: 'Appointments', afterSilenceMs: 1500, timeoutMs: 8000 },
            callerHangsUp(25_000),
          ],
        },
        [DESK]: { kind: 'person', answerAfterMs: 100, script: [{ say: 'front desk' }, callerHangsUp(3000)] },
      },
    },
    { defaultBeepTimeoutS: 10 },
  );
  const declinedWords = (output: string) => (/declined/.test(output) ? 'sorry the nurse is not available' : 'you are now with the nurse');
  const apps = new Map<string, CallApp>([
    [MACHINE, await agentOn(t, [null], { voicemail: `leave ${MESSAGE}` })],
    [INJECTED, await agentOn(t, [{ call: 'transfer_call', arguments: { destination: `+${PREMIUM}` }, then: 'sorry I cannot do that' }])],
    [
      DECLINED,
      await agentOn(t, [
        {
          say: 'one moment',
          call: 'warm_transfer',
          arguments: { destination: 'nurse', briefing: 'Ada would like to move her appointment.' },
          then: declinedWords,
        },
      ]),
    ],
    [
      IVR,
      await agentOn(t, [
        { call: 'send_dtmf', arguments: { digits: '1' } },
        { call: 'transfer_call', arguments: { destination: 'desk' } },
      ]),
    ],
  ]);
  const records = mkdtempSync(join(tmpdir(), 'vs-agent-calls-'));
  const { server } = await startTelephonyServer(t, emulator, {
    config: { callRecords: records },
    app: async (call, context) => apps.get((await call.dialed())!.to)!(call, context),
    telephony: { destinations: () => DESTINATIONS, acceptWindowMs: 1000 },
  });
  const calls = [
    createOutboundCall(server, { to: MACHINE, context: { day: 'monday' }, machineDetection: { mode: 'detect-beep' } }),
    createOutboundCall(server, { to: INJECTED }),
    createOutboundCall(server, { to: DECLINED }),
    createOutboundCall(server, { to: IVR, machineDetection: { mode: 'detect' } }),
  ];
  const results = await Promise.all(calls.map((call) => call.ended));
  assert.deepEqual(
    results.map((result) => result.outcome),
    ['machine', 'human', 'human', 'human'],
  );
  await emulator.network.settled();

  // 1. The message, its {day} filled from the context, whole and after the beep.
  const message = MESSAGE.replace('{day}', 'monday');
  assert.deepEqual(await heard(emulator, MACHINE, [message, MESSAGE.replace('{day}', 'friday'), GREETING], 'voicemail'), [message]);

  // 2. A number the caller asked for is refused: nothing was dialled; the caller heard the agent say so.
  assert.equal(emulator.network.allLegs().filter((leg) => leg.to === PREMIUM).length, 0, 'nothing was dialled');
  assert.ok((await heard(emulator, INJECTED, [GREETING, 'sorry i cannot do that'])).includes('sorry i cannot do that'));
  assert.equal(emulator.network.recordingsOf(NURSE).length, 1, 'the nurse was called');

  // 3. The IVR call's record: machine detection, the DTMF sent and the transfer's steps, outbound.
  await waitFor(() => readdirSync(records).filter((name) => name.endsWith('.json')).length >= 4, 15_000, 'four call records');
  const all = readdirSync(records)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(records, name), 'utf8')) as CallRecord);
  const record = all.find((one) => one.dtmf.some((key) => key.direction === 'out'));
  assert.ok(record, 'a record with the DTMF sent');
  assert.equal(record.machineDetection?.result, 'human');
  assert.deepEqual(
    record.dtmf.filter((key) => key.direction === 'out').map((key) => key.digit),
    ['1'],
  );
  assert.deepEqual(
    record.transfers.map((step) => [step.to, step.mode, step.detail]),
    [
      ['desk', 'cold', 'started'],
      ['desk', 'cold', 'connected'],
    ],
  );
  assert.equal(record.call.direction, 'outbound');
  // The IVR heard the key the agent pressed, where the emulator's timeline says it was played (speech
  // around it can pass for a tone). Its recording starts at the answer.
  const [ivr] = emulator.network.recordingsOf(IVR);
  const timeline = emulator.network.allLegs().find((leg) => leg.to === IVR)!.timeline.entries;
  const answeredAt = timeline.find((entry) => entry.text.startsWith('answered'))!.atMs;
  const playedAt = timeline.find((entry) => entry.text.startsWith('REST dtmf started'))!.atMs - answeredAt;
  const bytesPerMs = (ivr!.sampleRate / 1000) * 2;
  const window = ivr!.heard.subarray(Math.max(0, playedAt - 200) * bytesPerMs, (playedAt + 700) * bytesPerMs);
  assert.equal(decodeDtmf(window, ivr!.sampleRate), '1');
  const declined = all.find((one) => one.transfers.some((step) => step.mode === 'warm'));
  assert.deepEqual(
    declined?.transfers.map((step) => step.detail?.split(':')[0]),
    ['started', 'holding', 'dialling', 'briefing', 'declined', 'returned'],
  );
  // The nurse declined with a key: the caller is back, and hears the agent say so (from what the tool
  // told it). Transcribed from the return on: the hold chime before it throws the recognizer off.
  const returnedAt = declined!.transfers.at(-1)!.atMs;
  const [caller] = emulator.network.recordingsOf(DECLINED);
  const back = caller!.heard.subarray(Math.max(0, returnedAt - 500) * (caller!.sampleRate / 1000) * 2);
  const choices = ['sorry the nurse is not available', 'you are now with the nurse', GREETING, 'one moment'];
  const afterHold = (await transcribeRecording(back, caller!.sampleRate, { choices })).map((final) => final.text.replace(/ please$/, ''));
  assert.deepEqual(afterHold, ['sorry the nurse is not available']);
});
