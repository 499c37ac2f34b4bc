/**
 * Call control messages on Redis: signed with a key derived from the shared secret, told apart by
 * key id, taken once and only while fresh (injected time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_MAX_AGE_MS, ReplayGuard, controlKey, openControl, signControl } from '../../src/scale/control-signing.js';

test('a key comes from REDIS_SECRET, else from VONAGE_SIGNATURE_SECRET, else none; its id names it without giving it away', () => {
  assert.equal(controlKey({ redisSecret: undefined, signatureSecret: undefined }), undefined);
  const fromRedis = controlKey({ redisSecret: 'a-shared-redis-secret-0123', signatureSecret: 'sig' })!;
  const fromSignature = controlKey({ redisSecret: undefined, signatureSecret: 'sig' })!;
  assert.match(fromRedis.id, /^[0-9a-f]{16}$/);
  assert.notEqual(fromRedis.id, fromSignature.id);
  assert.ok(!fromSignature.key.equals(Buffer.from('sig')), 'derived, not the secret itself');
  assert.deepEqual(controlKey({ redisSecret: undefined, signatureSecret: 'sig' }), fromSignature, 'every instance derives the same');
});

test('a signed message opens with its key only; an altered one, or one under another key, does not', () => {
  const key = controlKey({ redisSecret: 'a-shared-redis-secret-0123', signatureSecret: undefined })!;
  const other = controlKey({ redisSecret: 'another-shared-secret-4567', signatureSecret: undefined })!;
  const wire = signControl(key, '{"call":"x","command":{"action":"clear"}}');
  assert.deepEqual(openControl(key, wire), { ok: true, json: '{"call":"x","command":{"action":"clear"}}' });
  const altered = openControl(key, wire.replace('clear', 'hangup'));
  assert.ok(!altered.ok && altered.problem === 'FORGED');
  const mismatch = openControl(other, wire);
  assert.ok(!mismatch.ok && mismatch.problem === 'MISMATCH' && mismatch.keyId === key.id);
  for (const junk of ['', '{}', 'v1.', `v1.${key.id}.x.{}`]) assert.ok(!openControl(key, junk).ok, junk);
});

test('a message is taken once, and only within its time window', () => {
  let now = 1_000_000;
  const guard = new ReplayGuard(() => now);
  assert.equal(guard.check('a', now), undefined);
  assert.match(guard.check('a', now) ?? '', /replayed/);
  assert.match(guard.check('old', now - CONTROL_MAX_AGE_MS - 1) ?? '', /at most 30 s/);
  assert.match(guard.check('future', now + CONTROL_MAX_AGE_MS + 1) ?? '', /at most 30 s/);
  // Long after, the id is forgotten, and its time refuses it anyway.
  now += 3 * CONTROL_MAX_AGE_MS;
  assert.match(guard.check('a', now - 3 * CONTROL_MAX_AGE_MS) ?? '', /at most 30 s/);
});
