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

test("turn log: a cascade's stages split its latency into recognition, the model and synthesis; stages out of order are not used", () => {
  const log = new TurnLog();
  log.callerStopped('user-1', 4020, 5000);
  log.responseStarted('reply-1');
  log.stage('reply-1', 'recognized', 5300);
  log.stage('reply-1', 'recognized', 5350); // the first of each is kept
  log.stage('reply-1', 'synthesizing', 5800);
  log.firstAudio('reply-1', 5950);
  log.firstFrameOut('reply-1', 5962);
  assert.deepEqual(log.snapshot()[0]!.latency, { totalMs: 962, recognitionMs: 300, modelMs: 500, synthesisMs: 150, oursMs: 12 });

  // A stage timed after the first audio cannot be a share of the wait before it: the plain split.
  log.callerStopped('user-2', 9000, 10_000);
  log.responseStarted('reply-2');
  log.stage('reply-2', 'recognized', 10_200);
  log.firstAudio('reply-2', 10_400);
  log.stage('reply-2', 'synthesizing', 10_500);
  log.firstFrameOut('reply-2', 10_410);
  assert.deepEqual(log.snapshot()[1]!.latency, { totalMs: 410, modelMs: 400, oursMs: 10 });
});
