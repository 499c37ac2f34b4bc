/**
 * The phone network with an app in the call, as the dialling side uses it: a call to a phone whose
 * NCCO connects a websocket (at 8 kHz, the conversation mixes at 16), so the app hears the person and
 * the person hears the app, and the person's key press reaches the socket as `websocket:dtmf`; an
 * NCCO `input` collecting a key the person presses; and an NCCO `record` whose recording the Voice
 * API serves at its `recording_url`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { startNetwork } from './network-harness.js';
import { transcribeRecording } from '../../src/speech/transcribe-recording.js';
import { readWav, wavToCallPcm } from '../../src/audio/wav.js';

const DECLINER = '447700900501';
const CONFIRMER = '447700900502';
const RECORDED = '447700900503';
const LINE = 'no thank you i cannot take the call now';

// Each test has its own emulator and phones: they run side by side (most of their time is speech in real time).
describe('calls with an app on the phone network', { concurrency: true }, () => {
  test('a phone call connected to an app: each hears the other, a key press reaches the socket, the app hangs up with the person', async (t) => {
    const messages: string[] = [];
    let audioFrames = 0;
    const frameBytes = new Set<number>();
    const network = await startNetwork(
      t,
      {
        // Says its line, presses 2 (declining) and hangs up.
        phones: { [DECLINER]: { kind: 'person', answerAfterMs: 100, script: [{ say: LINE, atMs: 300 }, { dtmf: '2', atMs: 4500 }, { hangup: true }] } },
      },
      {
        // An app that echoes what it hears, as the echo server does.
        onSocket: (ws: WebSocket) =>
          ws.on('message', (data: Buffer, isBinary) => {
            if (!isBinary) return void messages.push(data.toString());
            audioFrames++;
            frameBytes.add(data.length);
            ws.send(data, { binary: true });
          }),
      },
    );
    const uuid = await network.call(DECLINER, {
      ncco: [
        { action: 'connect', endpoint: [{ type: 'websocket', uri: network.app.socketUrl, 'content-type': 'audio/l16;rate=8000', headers: { call: 'c-1' } }] },
      ],
    });
    await network.emulator.network.settled();

    assert.deepEqual(JSON.parse(messages[0]!), { event: 'websocket:connected', 'content-type': 'audio/l16;rate=8000', call: 'c-1' });
    assert.deepEqual(
      messages.slice(1).map((text) => JSON.parse(text) as Record<string, unknown>),
      [{ event: 'websocket:dtmf', digit: '2', duration: 150 }],
    );
    assert.deepEqual([...frameBytes], [320], '20 ms frames at 8 kHz');
    assert.ok(audioFrames > 200, `the socket heard the call (${audioFrames} frames)`);
    // The person heard their own words come back through the app.
    const [recording] = network.emulator.network.recordingsOf(DECLINER);
    const heard = await transcribeRecording(recording!.heard, recording!.sampleRate, { choices: [LINE, 'please hold the line'] });
    assert.deepEqual(
      heard.map((final) => final.text),
      [LINE],
    );
    // Both legs report; the socket leg ends with the person's.
    const socketLeg = network.app.requests.map((request) => request.body as Record<string, unknown>).filter((body) => String(body.to).startsWith('ws://'));
    assert.deepEqual(
      socketLeg.map((body) => body.status),
      ['started', 'ringing', 'answered', 'completed'],
    );
    assert.deepEqual(network.statuses(uuid), ['started', 'ringing', 'answered', 'completed']);
    assert.equal(network.events(uuid).at(-1)!.disconnected_by, 'user');
  });

  test('an NCCO input collects the key the person presses and follows the NCCO its event answers with', async (t) => {
    const network = await startNetwork(
      t,
      { phones: { [CONFIRMER]: { kind: 'person', answerAfterMs: 100, script: [{ dtmf: '1', afterSilenceMs: 400 }] } } },
      { reply: (request) => (request.path === '/input' ? { json: [{ action: 'talk', text: 'thank you' }] } : undefined) },
    );
    const uuid = await network.call(CONFIRMER, {
      ncco: [
        { action: 'talk', text: 'press one to confirm' },
        { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 1, timeOut: 5 }, eventUrl: [`${network.app.base}/input`] },
      ],
    });
    await network.emulator.network.settled();
    const input = network.app.requests.find((request) => request.path === '/input')!.body as Record<string, unknown>;
    assert.deepEqual(input.dtmf, { digits: '1', timed_out: false });
    assert.equal(input.uuid, uuid);
    const [recording] = network.emulator.network.recordingsOf(CONFIRMER);
    const heard = await transcribeRecording(recording!.heard, recording!.sampleRate, { choices: ['press one to confirm', 'thank you'] });
    assert.deepEqual(
      heard.map((final) => final.text),
      ['press one to confirm', 'thank you'],
    );
  });

  test('an NCCO record: the record event names a recording_url the Voice API serves with the JWT', async (t) => {
    const network = await startNetwork(t, { phones: { [RECORDED]: { kind: 'person', answerAfterMs: 100, script: [] } } });
    await network.call(RECORDED, {
      ncco: [
        { action: 'record', eventUrl: [`${network.app.base}/record`] },
        { action: 'talk', text: 'this call is recorded' },
      ],
    });
    await network.emulator.network.settled();
    const record = network.app.requests.find((request) => request.path === '/record')!.body as Record<string, unknown>;
    assert.match(String(record.recording_url), new RegExp(`^${network.emulator.restUrl}/v1/files/`));
    assert.equal(record.recording_uuid, String(record.recording_url).split('/').pop());
    assert.ok(Number(record.size) > 44);
    const unsigned = await fetch(String(record.recording_url));
    assert.equal(unsigned.status, 401);
    const response = await fetch(String(record.recording_url), { headers: { authorization: await network.auth.createBearerHeader() } });
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    const wav = Buffer.from(await response.arrayBuffer());
    assert.equal(wav.length, record.size);
    assert.equal(readWav(wav).sampleRate, 16000);
    const heard = await transcribeRecording(wavToCallPcm(wav, 16000), 16000, { choices: ['this call is recorded', 'press one to confirm'] });
    assert.deepEqual(
      heard.map((final) => final.text),
      ['this call is recorded'],
    );
  });
});
