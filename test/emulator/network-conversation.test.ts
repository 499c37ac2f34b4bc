/**
 * Conversations on the emulated phone network, heard from the phones' ends: parties in one
 * conversation hear each other; REST mute means the others hear nothing of a leg, earmuff that the
 * leg hears nothing (the mixer's unit test covers the switches); a leg transferred to
 * an NCCO that connects another phone talks with that phone. What each phone heard is transcribed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork, type Network } from './network-harness.js';
import { waitFor } from '../helpers/server.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';
import { pcm16RmsDbfs } from '../../src/audio/levels.js';

const SPEAKER_LINE = 'the blue car is parked outside';
const TALK = 'please hold the line';
const CHOICES = [SPEAKER_LINE, TALK, 'hello this is the manager', 'i would like to speak to a manager'];

/** A person who says one line 1.5 s after answering (by then the other party has joined), then hangs up. */
const speaker = { kind: 'person' as const, answerAfterMs: 100, script: [{ say: SPEAKER_LINE, atMs: 1500 }, { hangup: true as const }] };
const listener = { kind: 'person' as const, answerAfterMs: 100, script: [] };

async function heardBy(network: Network, number: string): Promise<string[]> {
  const [recording] = network.emulator.network.recordingsOf(number);
  assert.ok(recording, `a recording of ${number}`);
  return (await transcribeRecording(recording.heard, recording.sampleRate, { choices: CHOICES })).map((final) => final.text);
}

test('parties in a conversation hear each other; mute silences a leg for the others; an earmuffed leg hears nothing', async (t) => {
  const phones = {
    '447700900301': speaker,
    '447700900302': listener,
    '447700900303': speaker,
    '447700900304': listener,
    '447700900305': speaker,
    '447700900306': listener,
  };
  const network = await startNetwork(t, { phones });
  // The speaker's leg ends the conversation when it leaves (`endOnExit`), so each pair ends together.
  const room = (name: string, endOnExit = false) => ({ ncco: [{ action: 'conversation', name, endOnExit }] });
  const [, , mutedSpeaker, , , earmuffed] = await Promise.all([
    network.call('447700900301', room('plain', true)),
    network.call('447700900302', room('plain')),
    network.call('447700900303', room('muted', true)),
    network.call('447700900304', room('muted')),
    network.call('447700900305', room('earmuffed', true)),
    network.call('447700900306', room('earmuffed')),
  ]);
  await waitFor(() => network.statuses(mutedSpeaker!).includes('answered') && network.statuses(earmuffed!).includes('answered'), 5000, 'the answers');
  await network.voice.muteCall(mutedSpeaker!);
  await network.voice.earmuffCall(earmuffed!);
  await network.voice.playTTS(earmuffed!, { text: TALK } as never);
  await network.emulator.network.settled();

  assert.deepEqual(await heardBy(network, '447700900302'), [SPEAKER_LINE]);
  const muted = network.emulator.network.recordingsOf('447700900304')[0]!;
  assert.ok(pcm16RmsDbfs(muted.heard) < -60, `the muted speaker was not heard (${pcm16RmsDbfs(muted.heard).toFixed(1)} dBFS)`);
  const deaf = network.emulator.network.recordingsOf('447700900306')[0]!;
  assert.ok(pcm16RmsDbfs(deaf.heard) < -60, `the earmuffed listener heard nothing (${pcm16RmsDbfs(deaf.heard).toFixed(1)} dBFS)`);
  // The talk played into the earmuffed leg reached the other party (switch restAudioToSocket, on by default).
  assert.deepEqual(await heardBy(network, '447700900305'), [TALK]);
});

test('a leg transferred to an NCCO that connects another phone talks with that phone, in one conversation', async (t) => {
  const CALLER = '447700900311';
  const MANAGER = '447700900312';
  const network = await startNetwork(t, {
    phones: {
      // The caller waits on hold, then answers whoever speaks to it.
      [CALLER]: { kind: 'person', answerAfterMs: 100, script: [{ say: 'i would like to speak to a manager', afterSilenceMs: 600 }] },
      // The manager greets, listens to the caller, and hangs up once the caller has finished.
      [MANAGER]: {
        kind: 'person',
        answerAfterMs: 300,
        script: [
          { say: 'hello this is the manager', atMs: 300 },
          { hangup: true, afterSilenceMs: 800 },
        ],
      },
    },
  });
  const caller = await network.call(CALLER, { ncco: [{ action: 'conversation', name: 'hold' }] });
  await waitFor(() => network.statuses(caller).includes('transfer'), 5000, 'the caller on hold');
  await network.voice.transferCallWithNCCO(caller, [{ action: 'connect', from: '447700900000', endpoint: [{ type: 'phone', number: MANAGER }] }] as never);
  await network.emulator.network.settled();

  assert.deepEqual(await heardBy(network, CALLER), ['hello this is the manager']);
  assert.deepEqual(await heardBy(network, MANAGER), ['i would like to speak to a manager']);
  // The manager's leg reports to the caller's event URL, in the caller's conversation.
  const held = network.events(caller).find((body) => body.conversation_uuid_to)!.conversation_uuid_to;
  const manager = network.app.requests
    .map((request) => request.body as Record<string, unknown>)
    .filter((body) => body.to === MANAGER)
    .map((body) => [body.status, body.conversation_uuid, body.from]);
  assert.deepEqual(manager, [
    ['started', held, '447700900000'],
    ['ringing', held, '447700900000'],
    ['answered', held, '447700900000'],
    ['completed', held, '447700900000'],
  ]);
  // The manager hung up; the caller's NCCO then ran out and Vonage ended the call.
  assert.deepEqual(network.statuses(caller), ['started', 'ringing', 'answered', 'transfer', 'completed']);
  assert.equal(network.events(caller).at(-1)!.disconnected_by, 'platform');
});
