/**
 * Transfers and DTMF out as call methods of a plain app, against the emulator's phone network: a warm
 * transfer the person accepts (the caller then talks with them), declines with a key (the caller is
 * back on the call and hears why), or does not answer; a cold transfer; a name that is not a named
 * destination refused; DTMF the far end hears. What each phone heard is transcribed or decoded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallSession } from '../../src/call/call-session.js';
import type { TransferResult, TransferStep } from '../../src/call/telephony-types.js';
import { createOutboundCall } from '../../src/telephony/index.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';
import type { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import { startEmulator, startTelephonyServer } from './rig.js';
import { decodeDtmf } from './dtmf-decoder.js';
import { toneLevel } from '../helpers/audio.js';
import { waitFor } from '../helpers/server.js';
import { pcm16ToFloat } from '../../src/audio/pcm.js';

const CALLER = ['447700900601', '447700900602', '447700900603', '447700900604', '447700900605'];
const ALICE = '447700900611';
const BOB = '447700900612';
const CAROL = '447700900613';
const DESK = '447700900614';
const DESTINATIONS = [ALICE, BOB, CAROL, DESK].map((number, i) => ({
  name: ['alice', 'bob', 'carol', 'desk'][i]!,
  endpoint: { type: 'phone' as const, number },
}));

/** The app: does what the dial's context asks, and tells the caller when a transfer did not happen. */
function transferringApp(results: Map<string, { result?: TransferResult; steps: string[] }>) {
  return (call: CallSession) => {
    const steps: string[] = [];
    call.on('transfer', (step: TransferStep) => steps.push(step.step));
    call.once('connected', async () => {
      const dial = await call.dialed();
      const { action, to } = dial!.context as { action: string; to: string };
      results.set(dial!.to, { steps });
      // The dashboard's call control sends the digits (the test posts them); the app waits for them to be sent.
      if (action === 'dtmf') return call.once('dtmf-sent', () => setTimeout(() => call.hangup(), 1500));
      const result =
        action === 'warm'
          ? await call.warmTransfer(to, { briefing: 'Ada is calling about her appointment on Monday.', ringingTimeoutS: 2 })
          : await call.transfer(to);
      results.get(dial!.to)!.result = result;
      if (!result.ok) {
        await call.say(`sorry ${to} is not available`);
        call.hangup();
      }
    });
  };
}

/** Whether some 100 ms of the recording is the hold chime's first note (440 Hz) and little else. */
function chimed(pcm: Buffer, rate: number): boolean {
  const window = (rate / 10) * 2;
  for (let offset = 0; offset + window <= pcm.length; offset += window) {
    const slice = pcm.subarray(offset, offset + window);
    const total = pcm16ToFloat(slice).reduce((sum, x) => sum + x * x, 0) / (window / 2);
    if (total > 1e-5 && toneLevel(slice, 440, rate) > 0.8 * total) return true;
  }
  return false;
}

/**
 * What the phone at `number` heard, transcribed in menu mode (PocketSphinx): a phrase may come out with
 * the grammar's optional "please" after it, which is dropped here.
 */
async function heard(emulator: VonageEmulator, number: string, choices: string[]): Promise<string[]> {
  const [recording] = emulator.network.recordingsOf(number);
  assert.ok(recording, `${number} answered`);
  return (await transcribeRecording(recording.heard, recording.sampleRate, { choices })).map((final) => final.text.replace(/ please$/, ''));
}

test('warm transfers: accepted (the caller talks with the person), declined with a key, unanswered; each step an event', async (t) => {
  const quiet = { kind: 'person' as const, answerAfterMs: 50, script: [{ hangup: true as const, atMs: 20_000 }] };
  const emulator = await startEmulator(t, {
    phones: {
      [CALLER[0]!]: quiet,
      [CALLER[1]!]: quiet,
      [CALLER[2]!]: quiet,
      // Alice hears the briefing and presses a key; Bob stays on the line, then speaks to the caller.
      [ALICE]: { kind: 'person', answerAfterMs: 200, script: [{ dtmf: '9', afterSilenceMs: 600, timeoutMs: 15_000 }] },
      [BOB]: {
        kind: 'person',
        answerAfterMs: 200,
        script: [
          { say: 'Bob speaking', afterSilenceMs: 2500, timeoutMs: 15_000 },
          { hangup: true, atMs: 12_000 },
        ],
      },
      [CAROL]: { kind: 'no-answer' },
    },
  });
  const results = new Map<string, { result?: TransferResult; steps: string[] }>();
  const { server } = await startTelephonyServer(t, emulator, {
    app: transferringApp(results),
    telephony: { destinations: () => DESTINATIONS, acceptWindowMs: 1000 },
  });
  const calls = [
    createOutboundCall(server, { to: CALLER[0]!, context: { action: 'warm', to: 'alice' } }),
    createOutboundCall(server, { to: CALLER[1]!, context: { action: 'warm', to: 'Bob' } }),
    createOutboundCall(server, { to: CALLER[2]!, context: { action: 'warm', to: 'carol' } }),
  ];
  await Promise.all(calls.map((call) => call.ended));
  await emulator.network.settled();

  const declined = results.get(CALLER[0]!)!;
  assert.equal(declined.result?.ok, false);
  assert.deepEqual([declined.result && !declined.result.ok && declined.result.reason], ['declined']);
  assert.deepEqual(declined.steps, ['started', 'holding', 'dialling', 'briefing', 'declined', 'returned']);
  const accepted = results.get(CALLER[1]!)!;
  assert.deepEqual(accepted.result, { ok: true, kind: 'warm', to: 'bob' });
  assert.deepEqual(accepted.steps, ['started', 'holding', 'dialling', 'briefing', 'joined']);
  const unanswered = results.get(CALLER[2]!)!;
  assert.deepEqual([unanswered.result && !unanswered.result.ok && unanswered.result.reason], ['unanswered']);
  assert.deepEqual(unanswered.steps, ['started', 'holding', 'dialling', 'unanswered', 'returned']);

  // Alice heard the briefing; the caller she declined heard why, after the hold; Bob's caller heard Bob.
  const briefing = 'ada is calling about her appointment on monday';
  assert.ok((await heard(emulator, ALICE, [briefing, 'sorry alice is not available'])).includes(briefing));
  assert.deepEqual(await heard(emulator, CALLER[0]!, ['sorry alice is not available', briefing]), ['sorry alice is not available']);
  const [held] = emulator.network.recordingsOf(CALLER[0]!);
  assert.ok(chimed(held!.heard, held!.sampleRate), 'the caller heard the hold chime');
  assert.ok((await heard(emulator, CALLER[1]!, ['bob speaking', briefing])).includes('bob speaking'), 'the caller and Bob were joined');
});

test('a cold transfer moves the caller to the named destination; a name nobody set up is refused; DTMF reaches the far end', async (t) => {
  const emulator = await startEmulator(t, {
    phones: {
      [CALLER[3]!]: { kind: 'person', answerAfterMs: 50, script: [{ hangup: true, atMs: 8000 }] },
      [CALLER[4]!]: { kind: 'person', answerAfterMs: 50, script: [{ hangup: true, atMs: 8000 }] },
      [DESK]: { kind: 'person', answerAfterMs: 100, script: [{ say: 'front desk' }, { hangup: true, atMs: 3000 }] },
    },
  });
  const results = new Map<string, { result?: TransferResult; steps: string[] }>();
  const test = await startTelephonyServer(t, emulator, { app: transferringApp(results), telephony: { destinations: () => DESTINATIONS } });
  const { server, logs } = test;
  const cold = createOutboundCall(server, { to: CALLER[3]!, context: { action: 'cold', to: 'desk' } });
  const refused = createOutboundCall(server, { to: CALLER[4]!, context: { action: 'cold', to: '+882123456789' } });
  await Promise.all([cold.ended, refused.ended]);
  const refusal = results.get(CALLER[4]!)?.result;
  const dtmf = createOutboundCall(server, { to: CALLER[4]!, context: { action: 'dtmf' } });
  const leg = await dtmf.placed;
  const { baseUrl } = test;
  await waitFor(() => [...server.registry.activeSessions()].some((session) => session.identity.uuid === leg), 5000, 'the call on its socket');
  const sent = await fetch(`${baseUrl}/api/calls/${leg}/dtmf`, { method: 'POST', body: JSON.stringify({ digits: '1590#' }) });
  assert.equal(sent.status, 200, await sent.text());
  const refusedDigits = await fetch(`${baseUrl}/api/calls/${leg}/dtmf`, { method: 'POST', body: JSON.stringify({ digits: '12; rm' }) });
  assert.equal(((await refusedDigits.json()) as { code: string }).code, 'VS_ERR_DTMF_INVALID');
  await dtmf.ended;
  await emulator.network.settled();

  assert.deepEqual(results.get(CALLER[3]!)?.result, { ok: true, kind: 'cold', to: 'desk' });
  assert.deepEqual(results.get(CALLER[3]!)?.steps, ['started', 'connected']);
  assert.ok((await heard(emulator, CALLER[3]!, ['front desk'])).includes('front desk'));
  assert.equal(refusal?.ok === false && refusal.reason, 'refused');
  assert.ok(logs.some((line) => line.code === 'VS_ERR_TRANSFER_REFUSED'));
  assert.equal(emulator.network.allLegs().filter((leg) => leg.to === '882123456789').length, 0, 'nothing was dialled');
  const [, withTones] = emulator.network.recordingsOf(CALLER[4]!);
  assert.equal(decodeDtmf(withTones!.heard, withTones!.sampleRate), '1590#');
});
