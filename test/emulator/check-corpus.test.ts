/**
 * The `check` corpus: apps behaving like the public Vonage samples, each with the verdict Vonage's
 * real behaviour calls for. A false FAIL sends a user chasing a bug they do not have; a false PASS
 * hides one; a wrong reason blames the wrong thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, type CheckResult, type CheckStatus } from '../../src/emulator/checks.js';
import { startSampleApp, type Sample } from '../fixtures/sample-apps.js';
import { startTestServer } from '../helpers/server.js';

type Expected = Partial<Record<string, [CheckStatus, RegExp?]>>;

const corpus: Array<[Sample, { plainWs?: boolean }, Expected, string]> = [
  [
    'python-tutorial',
    {},
    { 'answer-get': ['pass'], 'answer-post': ['warn', /GET, the default/], 'socket-accepts': ['fail', /does not speak TLS.*--plain-ws/] },
    'wss:// over plain HTTP: a clear error naming --plain-ws',
  ],
  [
    'python-tutorial',
    { plainWs: true },
    {
      'answer-get': ['pass'],
      'answer-post': ['warn'],
      'socket-accepts': ['pass'],
      'exact-frames': ['pass'],
      'no-stray-text': ['warn', /control message/],
      'survives-dtmf': ['pass'],
      'caller-hangup': ['warn', /malformed close frame/],
    },
    'tested locally with --plain-ws: GET-only and echoed text are warnings, not failures',
  ],
  ['ok-connector', {}, { 'no-stray-text': ['pass', /ignores/], 'answer-post': ['pass'], 'caller-hangup': ['pass'] }, 'a plain "ok" is not a fault'],
  [
    'whole-prompt',
    {},
    { 'exact-frames': ['fail', /unexpected frame size 150, when required 320/], 'survives-dtmf': ['skip', /ended before/] },
    'a short last chunk fails; nothing is claimed about DTMF',
  ],
  [
    'crash-on-dtmf',
    {},
    { 'survives-dtmf': ['fail', /1006: no close frame/], 'survives-unknown-message': ['skip', /ended before/] },
    'the crash is blamed on the DTMF',
  ],
  [
    'locks-default-rate',
    {},
    { 'survives-binary-first': ['fail', /sent 640-byte frames where 8000 Hz needs 320: it kept a rate it assumed/], 'exact-frames': ['pass'] },
    'the frame size is blamed, not "the app ended the call"',
  ],
  [
    'dies-early',
    {},
    { 'socket-accepts': ['fail', /ended early/], 'survives-dtmf': ['skip', /ended before/], 'survives-unknown-message': ['skip', /ended before/] },
    'no false PASS for messages never sent',
  ],
];

function byName(results: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

for (const [sample, options, expected, why] of corpus) {
  test(`check on a ${sample} app${options.plainWs ? ' (--plain-ws)' : ''}: ${why}`, async (t) => {
    const app = await startSampleApp(sample);
    t.after(() => app.close());
    const results = byName(await runChecks({ answerUrl: app.answerUrl, durationMs: 1500, ...options }));
    for (const [name, [status, reason]] of Object.entries(expected) as Array<[string, [CheckStatus, RegExp?]]>) {
      assert.equal(results[name]?.status, status, `${name}: ${JSON.stringify(results[name])}`);
      if (reason) assert.match(results[name]!.reason, reason, name);
    }
  });
}

test('our own server passes check at 8 kHz, audio-before-connected included', async (t) => {
  const server = await startTestServer({ config: { sampleRate: 8000 } });
  t.after(() => server.close());
  const results = await runChecks({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 1500 });
  assert.deepEqual(
    results.filter((r) => r.status === 'fail' || r.status === 'warn'),
    [],
  );
  assert.equal(byName(results)['survives-binary-first']?.status, 'pass');
});
