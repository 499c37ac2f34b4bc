/**
 * Answering machines through Vonage's advanced machine detection, on the emulator's phone network: a
 * message left after the beep is in the machine's voicemail (transcribed), with synchronous
 * (`detect-beep`) and asynchronous detection; with asynchronous detection a person hears nothing from
 * the app before the verdict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallSession } from '../../src/call/call-session.js';
import { createOutboundCall } from '../../src/telephony/index.js';
import { answeredBy, leaveVoicemail } from '../../src/telephony/voicemail.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';
import { pcm16RmsDbfs } from '../../src/audio/levels.js';
import { startEmulator, startTelephonyServer } from './rig.js';

const MACHINE = '447700900701';
const ASYNC_MACHINE = '447700900702';
const ASYNC_PERSON = '447700900703';
const MESSAGE = 'your appointment is on monday at nine';
const GREETING = 'please leave a message after the tone';

test('a voicemail left after the beep is in the machine recording; with async detection a person hears nothing before the verdict', async (t) => {
  const machine = { kind: 'machine' as const, answerAfterMs: 50, detectAfterMs: 400, greeting: 'Please leave a message after the tone.', endOnSilenceMs: 1500 };
  const emulator = await startEmulator(
    t,
    {
      phones: {
        [MACHINE]: machine,
        [ASYNC_MACHINE]: machine,
        [ASYNC_PERSON]: { kind: 'person', answerAfterMs: 50, detectAfterMs: 1500, script: [{ say: 'Hello?' }, { hangup: true, atMs: 5000 }] },
      },
    },
    { defaultBeepTimeoutS: 10 },
  );
  const app = async (call: CallSession) => {
    if ((await answeredBy(call)) === 'machine') return leaveVoicemail(call, MESSAGE);
    await call.say('hello there');
  };
  const { server } = await startTelephonyServer(t, emulator, { app });
  const calls = [
    createOutboundCall(server, { to: MACHINE, machineDetection: { mode: 'detect-beep' } }),
    createOutboundCall(server, { to: ASYNC_MACHINE, machineDetection: { mode: 'async' } }),
    createOutboundCall(server, { to: ASYNC_PERSON, machineDetection: { mode: 'async' } }),
  ];
  const results = await Promise.all(calls.map((call) => call.ended));
  assert.deepEqual(
    results.map((result) => [result.outcome, result.verdicts]),
    [
      ['machine', ['machine', 'beep']],
      ['machine', ['machine', 'beep']],
      ['human', ['human']],
    ],
  );
  await emulator.network.settled();

  for (const number of [MACHINE, ASYNC_MACHINE]) {
    const [recording] = emulator.network.recordingsOf(number);
    assert.ok(recording?.voicemail, `${number} kept a voicemail`);
    const heard = await transcribeRecording(recording.voicemail, recording.sampleRate, { choices: [MESSAGE, GREETING, 'hello there'] });
    assert.deepEqual(
      heard.map((final) => final.text.replace(/ please$/, '')),
      [MESSAGE],
      `${number}: the whole message, after the beep`,
    );
  }
  // The person spoke first ("Hello?") and heard nothing from the app until detection's verdict, 1.5 s after the answer.
  const [person] = emulator.network.recordingsOf(ASYNC_PERSON);
  const frame = (person!.sampleRate / 50) * 2;
  let firstSoundMs = -1;
  for (let offset = 0; offset + frame <= person!.heard.length; offset += frame) {
    if (pcm16RmsDbfs(person!.heard.subarray(offset, offset + frame)) > -45) {
      firstSoundMs = (offset / frame) * 20;
      break;
    }
  }
  assert.ok(firstSoundMs >= 1500, `the app spoke ${firstSoundMs} ms after the answer, before the verdict`);
});
