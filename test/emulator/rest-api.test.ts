import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { startScriptedApp } from '../fixtures/scripted-app.js';

const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';

function keys() {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
}

async function setUp(t: import('node:test').TestContext) {
  const { publicKey, privateKey } = keys();
  const emulator = new VonageEmulator({ applicationId: APPLICATION_ID, publicKey });
  await emulator.listen();
  const server = await startTestServer();
  t.after(async () => {
    await emulator.close();
    await server.close();
  });
  const voice = new Voice(new Auth({ applicationId: APPLICATION_ID, privateKey }), { apiHost: emulator.restUrl });
  return { emulator, server, voice, privateKey };
}

test('@vonage/voice pointed at the emulator hangs up a live call', async (t) => {
  const { emulator, server, voice } = await setUp(t);
  const call = emulator.placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, eventUrl: `${server.baseUrl}/webhooks/event`, durationMs: 20_000, talk: 'skip' });
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
    if (request.path === '/answer') return { json: [{ action: 'connect', endpoint: [{ type: 'websocket', uri: socketUrl, 'content-type': 'audio/l16;rate=8000' }] }, { action: 'notify', payload: { step: 'after-connect' }, eventUrl: [`${app.base}/notify`] }] };
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
  assert.equal(app.requests.some((r) => (r.body as Record<string, unknown>)?.status === 'disconnected'), false);
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
  const created = await voice.createOutboundCall({
    to: [{ type: 'websocket', uri: server.socketUrl, 'content-type': 'audio/l16;rate=16000', headers: { uuid: 'outbound-1' } }],
    ncco: [{ action: 'talk', text: 'hello' }],
  } as never) as unknown as { uuid: string; status: string; conversationUuid?: string; conversation_uuid?: string };
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
  const unsigned = await fetch(`${emulator.restUrl}/v1/calls/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"action":"hangup"}' });
  assert.equal(unsigned.status, 401);
});
