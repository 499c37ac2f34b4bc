/**
 * Conversations on the emulated phone network, heard from the phones' ends: parties in one
 * conversation hear each other; REST mute means the others hear nothing of a leg, earmuff that the
 * leg hears nothing (the mixer's unit test covers the switches); a leg transferred to
 * an NCCO that connects another phone talks with that phone. What each phone heard is transcribed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork, type Network } from './network-harness.js';
import { waitFor } from '../helpers/server.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';
import { pcm16RmsDbfs } from '../../src/audio/levels.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import { sine } from '../../src/audio/tone.js';
import { writeWav } from '../../src/audio/wav.js';

const SPEAKER_LINE = 'the blue car is parked outside';
const TALK = 'please hold the line';
const CHOICES = [SPEAKER_LINE, TALK, 'hello this is the manager', 'i would like to speak to a manager', 'sorry nobody is available'];

/** A person who says one line 2.5 s after answering (by then the other party has joined, and a REST mute or earmuff has come), then hangs up. */
const speaker = { kind: 'person' as const, answerAfterMs: 100, script: [{ say: SPEAKER_LINE, atMs: 2500 }, { hangup: true as const }] };
const listener = { kind: 'person' as const, answerAfterMs: 100, script: [] };

async function heardBy(network: Network, number: string): Promise<string[]> {
  const [recording] = network.emulator.network.recordingsOf(number);
  assert.ok(recording, `a recording of ${number}`);
  return (await transcribeRecording(recording.heard, recording.sampleRate, { choices: CHOICES })).map((final) => final.text);
}

// Each test has its own emulator and phones: they run side by side (most of their time is speech in real time).
describe('conversations on the phone network', { concurrency: true }, () => {
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

  /** Serves one WAV over HTTP, as a musicOnHoldUrl points at. */
  async function serveWav(body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'audio/wav' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hold.wav`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  test('a REST transfer to a URL puts a caller on hold music until the person who starts the conversation joins; then they talk', async (t) => {
    const CALLER = '447700900321';
    const AGENT = '447700900322';
    const music = await serveWav(writeWav(floatToPcm16(sine(440, 1000, 16000, 0.3)), 16000));
    t.after(() => music.close());
    const network = await startNetwork(
      t,
      {
        phones: {
          [CALLER]: { kind: 'person', answerAfterMs: 100, script: [] },
          [AGENT]: { kind: 'person', answerAfterMs: 100, script: [{ say: 'hello this is the manager', atMs: 500 }, { hangup: true }] },
        },
      },
      {
        reply: (request) =>
          request.path === '/hold' ? { json: [{ action: 'conversation', name: 'support', startOnEnter: false, musicOnHoldUrl: [music.url] }] } : undefined,
      },
    );
    const caller = await network.call(CALLER, { ncco: [{ action: 'conversation', name: 'lobby' }] });
    await waitFor(() => network.statuses(caller).includes('transfer'), 5000, 'the caller in the lobby');
    await network.voice.transferCallWithURL(caller, `${network.app.base}/hold`);
    const hold = network.app.requests.find((request) => request.path === '/hold')!;
    assert.equal(hold.method, 'GET');
    assert.equal(hold.query.uuid, caller);
    await waitFor(() => network.statuses(caller).filter((status) => status === 'transfer').length === 2, 5000, 'the caller on hold');
    // The agent's leg starts the conversation: the music stops and they talk; the agent leaves, ending it.
    const agent = await network.call(AGENT, { ncco: [{ action: 'conversation', name: 'support', endOnExit: true }] });
    await network.emulator.network.settled();

    const [recording] = network.emulator.network.recordingsOf(CALLER);
    // In 100 ms steps: the hold music (a loud 440 Hz tone) comes, then stops when the agent joins, before the agent speaks.
    const heard = recording!.heard;
    const levels = [...Array(Math.floor(heard.length / 3200)).keys()].map((step) => pcm16RmsDbfs(heard.subarray(step * 3200, (step + 1) * 3200)));
    const musicAt = levels.findIndex((level) => level > -20);
    assert.ok(musicAt >= 0, 'hold music came');
    assert.ok(
      levels.slice(musicAt).some((level) => level < -60),
      'the music stopped when the conversation started',
    );
    assert.deepEqual(await heardBy(network, CALLER), ['hello this is the manager']);
    const conversations = (uuid: string) =>
      network
        .events(uuid)
        .filter((body) => body.conversation_uuid_to)
        .map((body) => body.conversation_uuid_to);
    assert.equal(conversations(agent).at(-1), conversations(caller).at(-1), 'both ended in the one conversation');
  });

  test('a connect to a phone that declines, with eventType synchronous: the event answers with the NCCO that returns to the caller', async (t) => {
    const CALLER = '447700900341';
    const DECLINES = '447700900342';
    const network = await startNetwork(
      t,
      {
        phones: {
          [CALLER]: { kind: 'person', answerAfterMs: 100, script: [] },
          [DECLINES]: { kind: 'reject', answerAfterMs: 300 },
        },
      },
      { reply: (request) => (request.path === '/connect-event' ? { json: [{ action: 'talk', text: 'sorry nobody is available' }] } : undefined) },
    );
    const caller = await network.call(CALLER, {
      ncco: [
        {
          action: 'connect',
          from: '447700900000',
          eventType: 'synchronous',
          eventUrl: [`${network.app.base}/connect-event`],
          endpoint: [{ type: 'phone', number: DECLINES }],
        },
      ],
    });
    await network.emulator.network.settled();
    const connectEvents = network.app.requests.filter((request) => request.path === '/connect-event').map((request) => request.body as Record<string, unknown>);
    assert.deepEqual(
      connectEvents.map((body) => [body.status, body.detail, body.to]),
      [
        ['started', undefined, DECLINES],
        ['ringing', undefined, DECLINES],
        ['rejected', 'declined', DECLINES],
      ],
    );
    assert.deepEqual(await heardBy(network, CALLER), ['sorry nobody is available']);
    assert.equal(network.statuses(caller).at(-1), 'completed');
  });

  test('REST stream and DTMF play into a leg: the phone hears the file and the key tones', async (t) => {
    const LISTENER = '447700900331';
    const music = await serveWav(writeWav(floatToPcm16(sine(440, 500, 16000, 0.3)), 16000));
    t.after(() => music.close());
    // The listener hangs up once what was played has stopped for a second (not on a timer: a loaded machine may be slow to play it).
    const network = await startNetwork(t, {
      phones: { [LISTENER]: { kind: 'person', answerAfterMs: 100, script: [{ hangup: true, afterSilenceMs: 1000, timeoutMs: 30_000 }] } },
    });
    const uuid = await network.call(LISTENER, { ncco: [{ action: 'conversation', name: 'played' }] });
    await waitFor(() => network.statuses(uuid).includes('answered'), 5000, 'the answer');
    await Promise.all([network.voice.streamAudio(uuid, music.url, 2), network.voice.playDTMF(uuid, '5')]);
    await network.emulator.network.settled();
    const heard = network.emulator.network.recordingsOf(LISTENER)[0]!.heard;
    // Goertzel power at a frequency, relative to one nobody played.
    const power = (hz: number) => goertzel(heard, hz) / goertzel(heard, 1000);
    assert.ok(power(440) > 100, `the stream's 440 Hz (${power(440).toFixed(1)})`);
    assert.ok(power(770) > 10 && power(1336) > 10, `the DTMF 5: 770 and 1336 Hz (${power(770).toFixed(1)}, ${power(1336).toFixed(1)})`);
    assert.ok(power(770) > 5 * power(697) && power(1336) > 5 * power(1209), 'not another key');
  });
});

function goertzel(pcm: Buffer, hz: number, rate = 16000): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let [previous, beforePrevious] = [0, 0];
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const next = pcm.readInt16LE(i) / 32768 + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = next;
  }
  return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious + 1e-9;
}
