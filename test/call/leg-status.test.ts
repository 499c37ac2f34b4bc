/**
 * A leg's status when its events arrive out of order: Vonage does not promise order, and with several
 * instances each event may be recorded by another process (and reach Redis in another order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallRegistry, legStatus } from '../../src/call/call-registry.js';
import type { CallEvent } from '../../src/protocol/webhooks.js';

const status = (value: string): CallEvent => ({ kind: 'status', status: value, legUuid: 'leg-1', raw: {} });

test('a status never replaces one of a later stage, in the registry and in a merged list', () => {
  const orders = [
    [['started', 'answered', 'ringing'], 'answered'],
    [['answered', 'ringing', 'started'], 'answered'],
    [['ringing', 'completed', 'answered'], 'completed'],
    [['answered', 'machine', 'ringing'], 'machine'],
    [['started', 'ringing'], 'ringing'],
  ] as const;
  for (const [arrived, expected] of orders) {
    assert.equal(legStatus(arrived.map(status)), expected, arrived.join(' → '));
    const registry = new CallRegistry();
    for (const value of arrived) registry.recordEvent(status(value));
    assert.equal(registry.leg('leg-1')?.status, expected, `registry: ${arrived.join(' → ')}`);
  }
  assert.equal(legStatus([]), undefined);
});
