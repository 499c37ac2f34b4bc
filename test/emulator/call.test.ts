import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import { NCCO_SYNTAX_ERROR } from '../../src/protocol/ncco.js';
import { queryHashInput, verifySignedWebhook } from '../../src/protocol/signed-webhook.js';
import { pcm16ToFloat } from '../../src/audio/pcm.js';
import { startTestServer } from '../helpers/server.js';
import { delayEcho, playPrompt } from '../../src/apps/index.js';
import { startScriptedApp, type RecordedRequest } from '../fixtures/scripted-app.js';

const connect = (uri: string, extra: Record<string, unknown> = {}, endpoint: Record<string, unknown> = {}) => ({
  action: 'connect',
  endpoint: [{ type: 'websocket', uri, 'content-type': 'audio/l16;rate=16000', headers: { tag: 'x' }, ...endpoint }],
  ...extra,
});

test("a call to our server: answer, both legs' events in order, echo measured, accepted", async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 600,
    talk: 'skip',
    dtmf: [{ digit: '7', atMs: 100 }],
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(result.leg?.end, 'caller-hangup');
  assert.equal(result.leg?.lost, 0);
  assert.ok((result.leg?.echoed ?? 0) >= 25);
  const caller = result.events.filter((e) => e.body.uuid === result.uuid).map((e) => e.body.status);
  const socketLeg = result.events.filter((e) => e.body.uuid === result.websocketLegUuid).map((e) => e.body.status);
  assert.deepEqual(caller, ['started', 'ringing', 'answered', 'completed']);
  assert.deepEqual(socketLeg, ['started', 'ringing', 'answered', 'completed']);
  const completed = result.events.find((e) => e.body.uuid === result.uuid && e.body.status === 'completed')!.body;
  assert.equal(typeof completed.duration, 'string', 'numbers as strings, as captured from Vonage');
  assert.ok(result.events.every((e) => e.status === 204));
  // Our server saw the same call: registry keyed by the uuid the emulator generated.
  assert.equal(server.server.registry.leg(result.uuid)?.status, 'completed');
});

test("answer retry and fallback follow Vonage's rules", async (t) => {
  let answers = 0;
  const app = await startScriptedApp((request) => {
    if (request.path === '/busy') return ++answers === 1 ? { status: 503 } : { json: [{ action: 'talk', text: 'ok' }] };
    if (request.path === '/missing') return { status: 404 };
    if (request.path === '/fallback') return { json: [{ action: 'talk', text: 'fallback' }] };
    return { status: 204 };
  });
  t.after(() => app.close());
  const retried = await placeCall({ answerUrl: `${app.base}/busy`, talk: 'skip' });
  assert.equal(retried.answer.ok, true);
  assert.equal(retried.answer.attempts, 2, '503 is retried once');

  const fellBack = await placeCall({ answerUrl: `${app.base}/missing`, fallbackUrl: `${app.base}/fallback`, talk: 'skip' });
  assert.equal(fellBack.answer.ok, true);
  const missing = app.requests.filter((r) => r.path === '/missing');
  assert.equal(missing.length, 1, '404 is not retried');
  const fallback = app.requests.find((r) => r.path === '/fallback')!;
  assert.equal(fallback.query.reason, 'HTTP 404');
  assert.deepEqual(JSON.parse(fallback.query.original_request!), { url: `${app.base}/missing`, type: 'answer' });

  const failed = await placeCall({ answerUrl: `${app.base}/missing`, talk: 'skip' });
  assert.equal(failed.accepted, false);
});

test("an invalid NCCO fails the call with Vonage's error event", async (t) => {
  const app = await startScriptedApp((request) =>
    request.path === '/answer'
      ? { json: [{ action: 'connect', endpoint: [{ type: 'websocket', uri: 'ws://x/socket' }], eventUrl: 'http://not-an-array' }] }
      : { status: 200 },
  );
  t.after(() => app.close());
  const result = await placeCall({ answerUrl: `${app.base}/answer`, eventUrl: `${app.base}/event`, talk: 'skip' });
  assert.equal(result.accepted, false);
  assert.ok(result.nccoIssues.some((issue) => issue.includes('eventUrl')));
  const error = app.requests.find((r) => r.path === '/event' && (r.body as Record<string, unknown>)?.reason);
  assert.equal((error?.body as Record<string, unknown>).reason, NCCO_SYNTAX_ERROR);
});

test('a "contentType" key is ignored with a warning and the call runs at 16 kHz', async (t) => {
  let socketUrl = '';
  const app = await startScriptedApp(() => ({ json: [connect(socketUrl, {}, { 'content-type': undefined, contentType: 'audio/l16;rate=8000' })] }));
  socketUrl = app.socketUrl;
  t.after(() => app.close());
  const result = await placeCall({ answerUrl: `${app.base}/answer`, durationMs: 200, talk: 'skip' });
  assert.equal(result.leg?.sampleRate, 16000);
  assert.match(result.nccoWarnings[0] ?? '', /contentType/);
});

test('signed webhooks: GET answer and POST events carry a valid Vonage JWT with the right payload hash', async (t) => {
  let socketUrl = '';
  const app = await startScriptedApp((request) => (request.path === '/answer' ? { json: [connect(socketUrl)] } : { status: 204 }));
  socketUrl = app.socketUrl;
  t.after(() => app.close());
  const signing = { secret: 'shh-very-secret', apiKey: 'abc123', applicationId: 'app-1' };
  await placeCall({ answerUrl: `${app.base}/answer`, eventUrl: `${app.base}/event`, durationMs: 200, talk: 'skip', signing });
  const check = async (request: RecordedRequest) => {
    const token = String(request.headers.authorization).replace(/^Bearer /, '');
    const payload = request.method === 'GET' ? queryHashInput(request.search) : request.rawBody;
    return verifySignedWebhook(token, { secret: signing.secret, apiKey: 'abc123', applicationId: 'app-1', payload });
  };
  assert.ok(app.requests.length >= 5);
  for (const request of app.requests) {
    const verdict = await check(request);
    assert.ok(verdict.ok, `${request.method} ${request.path}: ${JSON.stringify(verdict)}`);
  }
  const forged = await verifySignedWebhook(String(app.requests[0]!.headers.authorization).slice(7), {
    secret: 'wrong',
    payload: queryHashInput(app.requests[0]!.search),
  });
  assert.equal(forged.ok, false);
});

test("the socket upgrade carries the endpoint's authorization (custom value, or a Vonage JWT)", async (t) => {
  let socketUrl = '';
  let mode: 'custom' | 'vonage' = 'custom';
  const app = await startScriptedApp(() => ({
    json: [connect(socketUrl, {}, { authorization: mode === 'custom' ? { type: 'custom', value: 'ApiKey X9Z-secret' } : { type: 'vonage' } })],
  }));
  socketUrl = app.socketUrl;
  t.after(() => app.close());
  await placeCall({ answerUrl: `${app.base}/answer`, durationMs: 100, talk: 'skip' });
  assert.equal(app.upgrades[0]!.authorization, 'ApiKey X9Z-secret');
  mode = 'vonage';
  await placeCall({ answerUrl: `${app.base}/answer`, durationMs: 100, talk: 'skip', signing: { secret: 'sig' } });
  const verdict = await verifySignedWebhook(String(app.upgrades[1]!.authorization).slice(7), { secret: 'sig' });
  assert.ok(verdict.ok);
  assert.equal(app.upgrades[0]!['sec-websocket-protocol'], undefined, 'no subprotocol offered');
});

test('when the app closes the socket: disconnected event, and the NCCO it returns is followed', async (t) => {
  let socketUrl = '';
  const app = await startScriptedApp(
    (request) => {
      if (request.path === '/answer') return { json: [connect(socketUrl, { eventUrl: [`${app.base}/ws-events`] })] };
      if (request.path === '/ws-events' && (request.body as Record<string, unknown>)?.status === 'disconnected')
        return { json: [{ action: 'notify', payload: { after: 'disconnect' }, eventUrl: [`${app.base}/notify`] }] };
      return { status: 204 };
    },
    (ws) => setTimeout(() => ws.close(1000, 'done'), 100),
  );
  socketUrl = app.socketUrl;
  t.after(() => app.close());
  const result = await placeCall({ answerUrl: `${app.base}/answer`, eventUrl: `${app.base}/event`, durationMs: 5000, talk: 'skip' });
  assert.equal(result.leg?.end, 'app-closed');
  const disconnected = app.requests.find((r) => (r.body as Record<string, unknown>)?.status === 'disconnected');
  assert.deepEqual((disconnected?.body as Record<string, unknown>).headers, { tag: 'x' }, 'disconnected carries the NCCO headers');
  const notify = app.requests.find((r) => r.path === '/notify');
  assert.deepEqual((notify?.body as Record<string, unknown>).payload, { after: 'disconnect' });
  assert.ok(result.durationMs < 3000, 'the call did not wait out its duration');
});

test('a synchronous connect to an unreachable socket posts failed and follows the returned NCCO', async (t) => {
  const app = await startScriptedApp((request) => {
    if (request.path === '/answer') return { json: [connect('ws://127.0.0.1:1/socket', { eventType: 'synchronous' })] };
    if ((request.body as Record<string, unknown>)?.status === 'failed')
      return { json: [{ action: 'notify', payload: { fallback: true }, eventUrl: [`${app.base}/notify`] }] };
    return { status: 204 };
  });
  t.after(() => app.close());
  const result = await placeCall({ answerUrl: `${app.base}/answer`, eventUrl: `${app.base}/event`, talk: 'skip' });
  assert.equal(result.leg?.connected, false);
  assert.ok(app.requests.some((r) => (r.body as Record<string, unknown>)?.status === 'failed'));
  assert.ok(app.requests.some((r) => r.path === '/notify'));
});

test("what the caller heard is recorded: with an echo app it is the caller's own tone", async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 1000,
    talk: 'skip',
    record: true,
    audio: { kind: 'tone', frequency: 1000, amplitude: 0.5 },
  });
  const heard = pcm16ToFloat(result.leg!.heard!);
  assert.ok(heard.length >= 16000 * 0.9, `${heard.length} samples heard`);
  // Correlate a stretch in the middle against a 1 kHz sine at the best phase.
  const stretch = heard.subarray(4000, 12000);
  let best = 0;
  for (let phase = 0; phase < 16; phase++) {
    let dot = 0;
    let energy = 0;
    for (let i = 0; i < stretch.length; i++) {
      const reference = Math.sin((2 * Math.PI * 1000 * (i + phase)) / 16000);
      dot += stretch[i]! * reference;
      energy += stretch[i]! ** 2;
    }
    best = Math.max(best, dot / Math.sqrt(energy * (stretch.length / 2)));
  }
  assert.ok(best > 0.95, `correlation with the caller's tone ${best.toFixed(3)}`);
});

test('"not returned" counts only what an echo app could have returned: 0 for delay-echo and for play after a barge-in, the real gaps of a lossy echo', async (t) => {
  const delayed = await startTestServer({ app: delayEcho(500) });
  const barged = await startTestServer({ app: playPrompt({ sampleRate: 16000, channels: [new Float32Array(16000 * 5).fill(0.1)] }, false) });
  // An echo that drops every tenth frame it receives.
  const lossy = await startTestServer({
    app: (call) => {
      let n = 0;
      call.on('audio', (frame) => {
        if (++n % 10 !== 0) call.sendAudio(frame);
      });
    },
  });
  t.after(() => Promise.all([delayed.close(), barged.close(), lossy.close()]));
  const [delayResult, bargeResult, lossyResult] = await Promise.all([
    placeCall({ answerUrl: `${delayed.baseUrl}/webhooks/answer`, durationMs: 2000, talk: 'skip' }),
    placeCall({ answerUrl: `${barged.baseUrl}/webhooks/answer`, durationMs: 2000, talk: 'skip', dtmf: [{ digit: '1', atMs: 700 }] }),
    placeCall({ answerUrl: `${lossy.baseUrl}/webhooks/answer`, durationMs: 2000, talk: 'skip' }),
  ]);
  assert.ok(delayResult.leg!.echoed > 0);
  assert.equal(delayResult.leg!.lost, 0, 'the tail still in the delay line is not lost');
  assert.ok(bargeResult.leg!.echoed > 0);
  assert.equal(bargeResult.leg!.lost, 0, 'frames before the app began to echo are not lost');
  const lost = lossyResult.leg!.lost;
  assert.ok(lost >= 8 && lost <= 11, `one in ten of ~100 frames: ${lost}`);
});
