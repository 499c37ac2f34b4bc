import { test } from 'node:test';
import type { CallApp } from '../../src/apps/app.js';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { startScriptedApp } from '../fixtures/scripted-app.js';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { floatToPcm16, pcm16ToFloat } from '../../src/audio/pcm.js';
import { sine } from '../../src/audio/tone.js';
import { writeWav } from '../../src/audio/wav.js';

const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';

function keys() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

async function setUp(t: import('node:test').TestContext, app?: CallApp) {
  const { publicKey, privateKey } = keys();
  const emulator = new VonageEmulator({ applicationId: APPLICATION_ID, publicKey });
  await emulator.listen();
  const server = await startTestServer(app ? { app } : {});
  t.after(async () => {
    await emulator.close();
    await server.close();
  });
  const voice = new Voice(new Auth({ applicationId: APPLICATION_ID, privateKey }), { apiHost: emulator.restUrl });
  return { emulator, server, voice, privateKey };
}

test('@vonage/voice pointed at the emulator hangs up a live call', async (t) => {
  const { emulator, server, voice } = await setUp(t);
  const call = emulator.placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 20_000,
    talk: 'skip',
  });
  const session = () => server.server.registry.activeSessions().next().value;
  await waitFor(() => session()?.identity.uuid !== undefined, 5000, 'the call socket and its identity');
  const started = Date.now();
  await voice.hangupCall(session()!.identity.uuid!);
  const result = await call;
  assert.ok(Date.now() - started < 3000, 'the call ended on the REST hangup, not at its 20 s duration');
  assert.equal(result.leg?.end, 'caller-hangup');
  assert.ok(result.timeline.some((entry) => entry.text.includes('REST hangup of the caller leg')));
});

test('a REST hangup of the websocket leg sends no disconnected event; a transfer runs the new NCCO', async (t) => {
  const { emulator, voice } = await setUp(t);
  let socketUrl = '';
  let wsLeg = '';
  const app = await startScriptedApp((request) => {
    if (request.path === '/answer')
      return {
        json: [
          { action: 'connect', endpoint: [{ type: 'websocket', uri: socketUrl, 'content-type': 'audio/l16;rate=8000' }] },
          { action: 'notify', payload: { step: 'after-connect' }, eventUrl: [`${app.base}/notify`] },
        ],
      };
    const body = request.body as Record<string, unknown> | undefined;
    if (body?.status === 'started' && String(body.to).startsWith('ws')) wsLeg = String(body.uuid);
    return { status: 204 };
  });
  socketUrl = app.socketUrl;
  t.after(() => app.close());
  const call = emulator.placeCall({ answerUrl: `${app.base}/answer`, eventUrl: `${app.base}/event`, durationMs: 20_000, talk: 'skip' });
  await waitFor(() => wsLeg !== '' && app.upgrades.length === 1, 5000, 'the websocket leg');
  await voice.hangupCall(wsLeg);
  await waitFor(() => app.requests.some((r) => r.path === '/notify'), 5000, 'the NCCO to go on after the socket');
  assert.equal(
    app.requests.some((r) => (r.body as Record<string, unknown>)?.status === 'disconnected'),
    false,
  );
  const callerLeg = (await call).uuid;
  assert.ok(callerLeg);

  // Transfer: a second call, moved to a new NCCO while its socket is up.
  app.requests.length = 0;
  wsLeg = '';
  const second = emulator.placeCall({ answerUrl: `${app.base}/answer`, eventUrl: `${app.base}/event`, durationMs: 20_000, talk: 'skip' });
  await waitFor(() => wsLeg !== '', 5000, 'second websocket leg');
  const caller = String((app.requests.find((r) => r.path === '/answer')?.query ?? {}).uuid);
  await voice.transferCallWithNCCO(caller, [{ action: 'notify', payload: { step: 'transferred' }, eventUrl: [`${app.base}/notify`] }] as never);
  await second;
  const notified = app.requests.filter((r) => r.path === '/notify').map((r) => (r.body as { payload: unknown }).payload);
  assert.deepEqual(notified, [{ step: 'transferred' }]);
});

test('@vonage/voice creates an outbound call to a websocket and hangs it up', async (t) => {
  const { emulator, server, voice } = await setUp(t);
  const created = (await voice.createOutboundCall({
    to: [{ type: 'websocket', uri: server.socketUrl, 'content-type': 'audio/l16;rate=16000', headers: { uuid: 'outbound-1' } }],
    ncco: [{ action: 'talk', text: 'hello' }],
  } as never)) as unknown as { uuid: string; status: string; conversationUuid?: string; conversation_uuid?: string };
  assert.equal(created.status, 'started');
  await waitFor(() => server.server.registry.activeSessions().next().value?.identity.uuid !== undefined, 5000, 'the outbound socket');
  assert.equal(server.server.registry.activeSessions().next().value!.identity.uuid, 'outbound-1');
  await voice.hangupCall(created.uuid);
  await waitFor(() => server.server.registry.activeCalls === 0 && emulator.activeCalls === 0, 5000, 'the call to end');
});

test('a REST request signed with another key is refused with 401', async (t) => {
  const { emulator } = await setUp(t);
  const stranger = new Voice(new Auth({ applicationId: APPLICATION_ID, privateKey: keys().privateKey }), { apiHost: emulator.restUrl });
  await assert.rejects(stranger.hangupCall('00000000-0000-0000-0000-000000000000'), (error: Error & { response?: { status?: number } }) => {
    assert.equal(error.response?.status, 401);
    return true;
  });
  const unsigned = await fetch(`${emulator.restUrl}/v1/calls/x`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: '{"action":"hangup"}',
  });
  assert.equal(unsigned.status, 401);
});

/** RMS of a slice of s16le PCM, 0..1. */
function rms(pcm: Buffer, fromMs: number, toMs: number, rate: number): number {
  const samples = pcm16ToFloat(pcm.subarray(Math.floor((fromMs * rate) / 1000) * 2, Math.floor((toMs * rate) / 1000) * 2));
  return Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / Math.max(1, samples.length));
}

/** Serves one WAV over plain HTTP, as a stream_url points at. */
async function serveFile(body: Buffer, contentType: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer((_request, response) => response.writeHead(200, { 'content-type': contentType }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prompt`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('@vonage/voice createOutboundCall with only an answer_url: the emulator fetches it and runs its NCCO', async (t) => {
  const { emulator, server, voice } = await setUp(t);
  const app = await startScriptedApp((request) =>
    request.path === '/answer' ? { json: [{ action: 'notify', payload: { step: 'answered' }, eventUrl: [`${app.base}/notify`] }] } : { status: 204 },
  );
  t.after(() => app.close());
  const created = (await voice.createOutboundCall({
    to: [{ type: 'websocket', uri: server.socketUrl, 'content-type': 'audio/l16;rate=16000' }],
    answer_url: [`${app.base}/answer`],
  } as never)) as unknown as { uuid: string };
  await waitFor(() => app.requests.some((r) => r.path === '/notify'), 5000, 'the answer_url NCCO to run');
  const answer = app.requests.find((r) => r.path === '/answer')!;
  assert.equal(answer.method, 'GET');
  assert.equal(answer.query.uuid, created.uuid);
  // An NCCO that runs out ends the call, as Vonage ends it: nothing needs hanging up.
  await waitFor(() => emulator.activeCalls === 0, 5000, 'the call to end with its NCCO');
  assert.equal((await voice.getCall(created.uuid)).status, 'completed');
});

test('@vonage/voice playTTS/stopTTS, streamAudio/stopStreamAudio and playDTMF: the caller hears each, the app receives it', async (t) => {
  // An app that listens and sends nothing: what the caller hears is the REST audio alone. With the
  // echo app, the talk (which Vonage also plays into the socket) came back through the echo path,
  // whose latency grows with every stall of a busy machine, and was heard after stopTTS (a full run).
  const { emulator, server, voice } = await setUp(t, () => undefined);
  let dtmfSeen = 0;
  const prompt = await serveFile(writeWav(floatToPcm16(sine(500, 600, 16000, 0.4)), 16000), 'audio/wav');
  const mp3 = await serveFile(Buffer.from('ID3\x03\x00not really mp3'), 'audio/mpeg');
  t.after(() => Promise.all([prompt.close(), mp3.close()]));
  const call = emulator.placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 6000,
    talk: 'skip',
    record: true,
    switches: { restDtmfAsEvent: true },
  });
  await waitFor(() => server.server.registry.activeSessions().next().value?.identity.uuid !== undefined, 5000, 'the call socket');
  const session = server.server.registry.activeSessions().next().value!;
  session.on('dtmf', () => dtmfSeen++);
  const uuid = session.identity.uuid!;
  const marks: Record<string, number> = {};
  const at = (name: string) => (marks[name] = session.durationMs);

  at('talk');
  assert.deepEqual(await voice.playTTS(uuid, { text: 'Hello from the REST API, this is a long sentence to interrupt' } as never), {
    message: 'Talk started',
    uuid,
  });
  await sleep(800);
  assert.deepEqual(await voice.stopTTS(uuid), { message: 'Talk stopped', uuid });
  at('talk-stopped');
  await sleep(600);
  at('stream');
  assert.deepEqual(await voice.streamAudio(uuid, prompt.url, 1, 0), { message: 'Stream started', uuid });
  await sleep(900);
  at('dtmf');
  assert.deepEqual(await voice.playDTMF(uuid, '12'), { message: 'DTMF sent', uuid });
  await assert.rejects(voice.streamAudio(uuid, mp3.url), (error: Error & { response?: { status?: number } }) => error.response?.status === 400);

  const result = await call;
  const heard = result.heard!;
  // The call socket opened about when the session started; offsets are relative to it.
  const level = (from: number, to: number) => rms(heard.pcm, from, to, heard.sampleRate);
  assert.ok(level(marks.talk! + 150, marks.talk! + 700) > 0.01, 'talk heard');
  assert.ok(level(marks['talk-stopped']! + 150, marks.stream! - 50) < 0.005, 'silence after stopTTS');
  assert.ok(level(marks.stream! + 100, marks.stream! + 500) > 0.1, 'the stream heard');
  assert.ok(level(marks.dtmf! + 50, marks.dtmf! + 100) > 0.05, 'DTMF tones heard');
  assert.equal(dtmfSeen, 2, 'with the switch on, the app gets a websocket:dtmf per digit');
  assert.ok(session.stats.framesIn > 0);
});

test('@vonage/voice search and getCall: completed calls stay listed with their details; unknown routes are problem+json', async (t) => {
  const { emulator, server, voice, privateKey } = await setUp(t);
  const result = await emulator.placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 300, talk: 'skip' });
  const detail = (await voice.getCall(result.uuid)) as unknown as Record<string, unknown>;
  assert.equal(detail.status, 'completed');
  for (const field of ['uuid', 'conversationUUID', 'to', 'from', 'direction', 'startTime', 'endTime', 'duration', 'rate', 'price', 'network'])
    assert.ok(detail[field] !== undefined, `getCall has ${field}`);
  const page = (await voice.search({ pageSize: 10 } as never)) as unknown as { count: number; _embedded: { calls: Array<{ uuid: string; status: string }> } };
  assert.ok(page._embedded.calls.some((call) => call.uuid === result.uuid && call.status === 'completed'));
  assert.ok(page.count >= 2, 'both legs listed (caller and websocket)');
  const all: string[] = [];
  for await (const call of voice.getAllCalls({ pageSize: 1 } as never)) all.push((call as unknown as { uuid: string }).uuid);
  assert.equal(all.length, page.count, 'getAllCalls follows the next links page by page');
  const token = await new Auth({ applicationId: APPLICATION_ID, privateKey }).createBearerHeader();
  const unknown = await fetch(`${emulator.restUrl}/v1/nothing-here`, { headers: { authorization: token } });
  assert.equal(unknown.headers.get('content-type')?.split(';')[0], 'application/problem+json');
});
