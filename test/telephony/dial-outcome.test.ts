/**
 * The outcome of a dial from its leg's events (src/telephony/dial-outcome.ts), as they may arrive:
 * out of order, a verdict before or after `answered`, `completed` before the status that says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DialProgress } from '../../src/telephony/dial-outcome.js';
import { parseCallEvent } from '../../src/protocol/webhooks.js';

const event = (status: string, extra: Record<string, unknown> = {}) => {
  const parsed = parseCallEvent({ uuid: 'leg', status, ...extra });
  assert.ok(parsed.ok);
  return parsed.event;
};

function outcomeOf(machineDetection: boolean, statuses: Array<string | [string, Record<string, unknown>]>) {
  const progress = new DialProgress(machineDetection);
  for (const status of statuses) progress.take(Array.isArray(status) ? event(...status) : event(status));
  return progress.decided ?? progress.settle();
}

test('a dial is decided by the status that says who answered or why nobody did, whatever the order', () => {
  assert.deepEqual(outcomeOf(false, ['started', 'ringing', 'answered', 'completed']), { outcome: 'human', status: 'answered' });
  assert.deepEqual(outcomeOf(false, ['completed', 'busy']), { outcome: 'busy', status: 'busy' });
  assert.deepEqual(outcomeOf(false, ['started', 'timeout', 'completed']), { outcome: 'unanswered', status: 'timeout' });
  assert.deepEqual(outcomeOf(false, ['rejected']), { outcome: 'rejected', status: 'rejected' });
  // With detection, `answered` waits for the verdict; a beep says machine even if its verdict was lost.
  assert.deepEqual(outcomeOf(true, ['answered', 'human']), { outcome: 'human', status: 'human' });
  assert.deepEqual(outcomeOf(true, ['answered', ['machine', { call_uuid: 'leg', sub_state: 'beep_start' }]]), { outcome: 'machine', status: 'machine' });
  // Answered, then over with no verdict: someone picked up. Completed with nothing else: it failed.
  assert.deepEqual(outcomeOf(true, ['answered', 'completed']), { outcome: 'human', status: 'completed' });
  assert.deepEqual(outcomeOf(false, ['started', 'completed']), { outcome: 'failed', status: 'completed' });
  // A final status after the answer does not undo it.
  assert.deepEqual(outcomeOf(false, ['answered', 'failed']), { outcome: 'human', status: 'answered' });
});
