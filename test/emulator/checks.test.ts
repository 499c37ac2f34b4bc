import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, type CheckResult, type CheckStatus } from '../../src/emulator/checks.js';
import { startTestServer } from '../helpers/server.js';
import { startBrokenApp, type Flaw } from '../fixtures/broken-app.js';

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
