import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnLog } from '../../src/agents/turn-log.js';

test('turn log: latency split into the model share and ours, transcripts, an interruption, a greeting turn', () => {
  const log = new TurnLog();
  log.responseStarted('greeting'); // the agent speaks first: a turn with no caller
  log.firstAudio('greeting', 100);
  log.agentTranscript('greeting', 'Hello, how can I help?');
  log.callerStopped('user-1', 4020, 5000);
  log.callerTranscript('user-1', 'What time do you open?');
  log.responseStarted('reply-1');
  log.firstAudio('reply-1', 5600);
  log.firstAudio('reply-1', 5700); // later deltas do not move it
  log.firstFrameOut('reply-1', 5612);
  log.firstFrameOut('reply-1', 5900); // nor later frames
  log.agentTranscript('reply-1', 'We open at nine.');
  log.interrupted('reply-1', 740, 1980.4);
  assert.deepEqual(log.snapshot(), [
    { agent: 'Hello, how can I help?' },
    {
      callerEndMs: 4020,
      caller: 'What time do you open?',
      agent: 'We open at nine.',
      interrupted: { heardMs: 740, sentMs: 1980 },
      latency: { totalMs: 612, modelMs: 600, oursMs: 12 },
    },
  ]);
});

test('turn log: a turn whose end of speech was not timed has no latency, and the log is bounded', () => {
  const log = new TurnLog();
  log.callerStopped('user-1', 1000, undefined);
  log.responseStarted('r');
  log.firstAudio('r', 10);
  log.firstFrameOut('r', 20);
  assert.equal(log.snapshot()[0]!.latency, undefined);
  for (let i = 0; i < 80; i++) log.responseStarted(`x${i}`);
  assert.equal(log.snapshot().length, 50);
});
