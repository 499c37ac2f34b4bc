import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, type CheckResult, type CheckStatus } from '../../src/emulator/checks.js';
import { startTestServer } from '../helpers/server.js';
import { startBrokenApp, type Flaw } from '../fixtures/broken-app.js';
import type { CallApp } from '../../src/apps/app.js';
import type { CallSession } from '../../src/call/call-session.js';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import { sine } from '../../src/audio/tone.js';

function byName(results: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

test('every check passes against our echo server (clear-notify skipped: echo uses neither)', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const results = await runChecks({ answerUrl: `${server.baseUrl}/webhooks/answer`, eventUrl: `${server.baseUrl}/webhooks/event`, durationMs: 1500 });
  const failed = results.filter((r) => r.status === 'fail');
  assert.deepEqual(failed, []);
  assert.equal(byName(results)['clear-notify']?.status, 'skip');
  assert.equal(results.filter((r) => r.status === 'pass').length, results.length - 1);
});

const cases: Array<[Flaw, string, RegExp, CheckStatus?]> = [
  ['short-final-frame', 'exact-frames', /unexpected frame size 160, when required 320/],
  ['text-echo', 'no-stray-text', /websocket:connected/, 'warn'],
  ['slow-answer', 'answer-in-time', /timed out/],
  ['content-type-key', 'wire-keys', /contentType/],
  ['no-connect', 'connects-websocket', /no connect to a websocket/],
  ['closes-on-dtmf', 'survives-dtmf', /ended the call/],
  ['overruns-buffer', 'pacing', /overran the playback buffer/],
];

for (const [flaw, check, reason, status = 'fail'] of cases) {
  test(`a ${flaw} app gets ${status.toUpperCase()} on the "${check}" check`, async (t) => {
    const app = await startBrokenApp(flaw, { slowAnswerMs: 700 });
    t.after(() => app.close());
    // A short read timeout keeps the slow-answer case fast; Vonage's own is 5 s.
    const results = byName(
      await runChecks({
        answerUrl: app.answerUrl,
        durationMs: 1500,
        timeouts: { answerSocketMs: 500 },
      }),
    );
    assert.equal(results[check]?.status, status, `${check}: ${JSON.stringify(results[check])}`);
    assert.match(results[check]!.reason, reason);
  });
}

/** Plays a long tone through the pacer; a DTMF key clears it and the app echoes the caller from then on. */
function promptThenEcho(echo: (session: CallSession, frame: Buffer) => void): CallApp {
  return (session) => {
    let echoing = false;
    session.on('audio', (frame) => {
      if (echoing) echo(session, frame);
    });
    session.on('dtmf', () => {
      echoing = true;
      void session.clear();
    });
    session.once('connected', () => void session.play(floatToPcm16(sine(440, 5000, session.sampleRate, 0.3))));
  };
}

test('gaps in echoed audio are the caller\'s pacing, not the app\'s: a prompt then a jittery echo passes "pacing"', async (t) => {
  // Every tenth echoed frame (and those queued behind it) goes back 35 ms late: a round trip longer
  // than the mixer's phase, as a busy machine makes it. The prompt before the key is paced and whole.
  const jitter = new WeakMap<CallSession, { count: number; releaseAt: number }>();
  const server = await startTestServer({
    app: promptThenEcho((session, frame) => {
      const state = jitter.get(session) ?? { count: 0, releaseAt: 0 };
      jitter.set(session, state);
      const now = Date.now();
      state.count++;
      state.releaseAt = Math.max(state.releaseAt, now + (state.count % 10 === 0 ? 35 : 0));
      setTimeout(() => session.sendAudio(frame), state.releaseAt - now);
    }),
  });
  t.after(() => server.close());
  const pacing = byName(await runChecks({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 2000 })).pacing!;
  assert.equal(pacing.status, 'pass', pacing.reason);
  assert.match(pacing.reason, /gap\(s\) in echoed audio, paced by the caller/);
});

test('an app whose own paced audio has gaps still fails "pacing"', async (t) => {
  // Bursts of 200 ms of tone every 300 ms, sent unpaced: 100 ms of silence between them while it plays.
  const server = await startTestServer({
    app: (session) => {
      session.once('connected', () => {
        const burst = floatToPcm16(sine(440, 200, session.sampleRate, 0.3));
        const timer = setInterval(() => session.sendAudio(burst), 300);
        session.once('end', () => clearInterval(timer));
      });
    },
  });
  t.after(() => server.close());
  const pacing = byName(await runChecks({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 2000 })).pacing!;
  assert.equal(pacing.status, 'fail', pacing.reason);
  assert.match(pacing.reason, /underrun\(s\) while playing/);
  assert.doesNotMatch(pacing.reason, /echoed/);
});
