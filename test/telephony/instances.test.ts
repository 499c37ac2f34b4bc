/**
 * Two instances on one real Redis: A places the call, and its public URL (a load balancer's, in a
 * deployment) sends the socket and the event webhooks to B. B's app still gets the call's context and
 * its machine verdict; A still learns the outcome, from the events B relays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/server.js';
import { createOutboundCall } from '../../src/telephony/index.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { DialInfo, MachineEvent } from '../../src/call/telephony-types.js';
import { startEmulator, startTelephonyServer } from './rig.js';
import { SocketClient } from '../helpers/socket-client.js';
import { createClient } from '@redis/client';

const PERSON = '447700900501';
/** Shared by the instances, never by Redis: records and relayed events are signed with it. */
const SECRET = 'a-shared-redis-secret-0123';

test('a dialled call whose socket lands on the instance that did not dial still gets its context; the dialling one gets the outcome', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const emulator = await startEmulator(t, {
    phones: { [PERSON]: { kind: 'person', answerAfterMs: 50, detectAfterMs: 200, script: [{ say: 'Hello?' }, { hangup: true, atMs: 1500 }] } },
  });
  const onB: Array<{ dial: DialInfo | undefined; verdicts: MachineEvent[] }> = [];
  const app = (call: CallSession) => {
    call.once('connected', async () => {
      const dial = await call.dialed();
      // Detection is synchronous (detect): the verdict came before the socket, and is replayed to it.
      if (dial) await waitFor(() => call.verdicts.length > 0 || call.state === 'ended', 5000, 'the verdict');
      onB.push({ dial, verdicts: [...call.verdicts] });
    });
  };
  const b = await startTelephonyServer(t, emulator, { instance: 'B', app, config: { redisUrl: redis.url, redisSecret: SECRET } });
  const a = await startTelephonyServer(t, emulator, { instance: 'A', config: { redisUrl: redis.url, redisSecret: SECRET, publicUrl: b.baseUrl } });
  for (const server of [a, b])
    await waitFor(async () => ((await (await fetch(`${server.baseUrl}/healthz`)).json()) as { redis?: string }).redis === 'up', 5000, 'redis up');

  const call = createOutboundCall(a.server, { to: PERSON, context: { patient: 'Ada', appointment: 'Monday 9:00' }, machineDetection: { mode: 'detect' } });
  const result = await call.ended;
  assert.equal(result.outcome, 'human', JSON.stringify(result));
  assert.equal(a.server.registry.activeCalls + a.server.registry.recentSessions().length, 0, 'no socket on A');
  assert.equal(onB.length, 1, 'the socket was on B');
  assert.deepEqual(onB[0]!.dial?.context, { patient: 'Ada', appointment: 'Monday 9:00' });
  assert.equal(onB[0]!.dial?.uuid, result.uuid);
  assert.deepEqual(
    onB[0]!.verdicts.map((verdict) => verdict.verdict),
    ['human'],
  );

  // A record written by a Redis client without the secret is not taken: the socket naming it gets no dial.
  const forged = { dialId: 'forged', to: PERSON, from: '447700900000', context: { patient: 'Mallory' }, uuid: 'leg', instance: 'A' };
  const client = createClient({ url: redis.url });
  await client.connect();
  await client.set('voicesocket:telephony:dial:forged', JSON.stringify(forged));
  await client.set('voicesocket:telephony:dial:resigned', `v1.0123456789abcdef.${'A'.repeat(43)}.${JSON.stringify({ ...forged, dialId: 'resigned' })}`);
  await client.close();
  for (const dialId of ['forged', 'resigned']) {
    const socket = await SocketClient.call(b.socketUrl, 'audio/l16;rate=16000', { dial_id: dialId });
    await waitFor(() => onB.length === (dialId === 'forged' ? 2 : 3), 5000, 'the app to look its dial up');
    socket.ws.close();
  }
  assert.deepEqual(
    onB.slice(1).map((entry) => entry.dial),
    [undefined, undefined],
  );
  assert.ok(b.logs.some((line) => line.code === 'VS_ERR_REDIS_DATA_INVALID'));
});
