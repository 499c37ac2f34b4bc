import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { placeCall } from '../../src/emulator/call.js';

function value(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  assert.ok(line, `${name}${labels} is exported`);
  return Number(line.split(' ')[1]);
}

test('/metrics serves voicesocket_ metrics that follow real traffic, plus process metrics', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 500,
    talk: 'skip',
  });
  const live = await SocketClient.call(server.socketUrl);
  for (let i = 0; i < 3; i++) live.sendBinary(patternFrame(640, i));
  live.sendBinary(Buffer.alloc(100));
  await waitFor(() => live.received.binary.length === 3);
  const response = await fetch(`${server.baseUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  const text = await response.text();
  assert.equal(value(text, 'voicesocket_active_calls'), 1);
  const sent = result.leg!.framesSent;
  assert.equal(value(text, 'voicesocket_frames_in_total'), sent + 4, 'ended and live calls both counted');
  assert.equal(value(text, 'voicesocket_frames_out_total'), sent + 3);
  assert.equal(value(text, 'voicesocket_frame_size_violations_total'), 1);
  assert.equal(value(text, 'voicesocket_calls_total', '{outcome="normal"}'), 1);
  assert.ok(value(text, 'voicesocket_webhook_requests_total', '{route="/webhooks/event",status="204"}') >= 4);
  assert.ok(text.includes('voicesocket_webhook_duration_seconds_bucket'));
  assert.ok(text.includes('voicesocket_app_frame_seconds_count'));
  assert.ok(text.includes('voicesocket_event_loop_lag_seconds{quantile="0.99"}'));
  assert.ok(text.includes('process_cpu_user_seconds_total'));
  // A second scrape does not double-count.
  const again = await (await fetch(`${server.baseUrl}/metrics`)).text();
  assert.equal(value(again, 'voicesocket_frames_out_total'), sent + 3);
  await live.close();
});
