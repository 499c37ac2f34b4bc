/**
 * Traces of calls through OpenTelemetry's official packages, to a local OTLP receiver written from
 * the specification (test/helpers/otlp-receiver.ts): a trace per call, its turns and what they were
 * made of as spans with their real times and GenAI attributes, over protobuf (the default) and JSON.
 * Off by default, and then nothing of the SDK is even loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CallRecordBuilder } from '../../src/records/record-builder.js';
import { spansOf } from '../../src/records/trace-spans.js';
import { loadTracing, tracesUrl } from '../../src/records/call-tracing.js';
import type { CallActivity } from '../../src/call/call-activity.js';
import type { CallRecord } from '../../src/records/call-record.js';
import { silentLogger } from '../../src/call/logger.js';
import { placeCall } from '../../src/emulator/call.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { ROOT } from '../helpers/cli.js';

/** A cascade call: the caller asks, the agent looks it up with a tool and answers, the caller cuts it short. */
function agentCall(): CallRecord {
  const builder = new CallRecordBuilder();
  const act = (at: number, activity: CallActivity) => builder.add(at, { type: 'activity', activity });
  builder.add(30, { type: 'connected', identity: { uuid: 'leg-1', conversationUuid: 'CON-1', from: '1', to: '2', headers: {} }, rate: 16000 });
  builder.add(1000, { type: 'speech-start' });
  builder.add(2000, { type: 'speech-end' });
  builder.add(2300, { type: 'transcript', startMs: 1000, endMs: 2000, text: 'where is my order', engine: 'pocketsphinx' });
  act(2310, { kind: 'reply-started', replyId: 'r1', by: 'cascade' });
  act(2700, { kind: 'reply-text', replyId: 'r1', text: 'Let me check. It left on Monday and arrives tomorrow.' });
  act(2750, { kind: 'tool-call', callId: 'c1', name: 'lookup_order', arguments: { order: '42' } });
  act(2800, { kind: 'tool-result', callId: 'c1', name: 'lookup_order', result: 'shipped' });
  act(2900, { kind: 'reply-audio', replyId: 'r1' });
  act(2920, { kind: 'reply-latency', replyId: 'r1', totalMs: 920, providerMs: 900, oursMs: 20 });
  act(4000, { kind: 'interrupted', replyId: 'r1', heardMs: 1100, sentMs: 3000, by: 'speech' });
  return builder.build({
    id: 'record-1',
    callId: 'call-1',
    app: 'agent',
    instance: 'h',
    startedAt: Date.parse('2026-01-02T03:04:05.000Z'),
    endedAt: Date.parse('2026-01-02T03:04:10.000Z'),
    durationMs: 5000,
    closeCode: 1000,
    closeReason: 'hangup',
    result: 'normal',
    stats: { framesIn: 0, framesOut: 0, framesDropped: 0, dtmfIn: 0, textRejected: 0, pacerUnderruns: 0 },
    recording: null,
    analysis: { status: 'skipped', reason: '' },
  });
}

test("a call's spans: the call, each turn, and under the agent's turn its speech to text, chat model, speech and tool, with GenAI's names", () => {
  const spans = spansOf(agentCall());
  assert.deepEqual(
    spans.map((span) => [span.name, span.parent === -1 ? '-' : spans[span.parent]!.name, span.startMs, span.endMs]),
    [
      ['call', '-', 0, 5000],
      ['caller_turn', 'call', 1000, 2000],
      ['stt', 'caller_turn', 2000, 2300],
      ['agent_turn', 'call', 2310, 4000],
      ['chat cascade', 'agent_turn', 2310, 2700],
      ['tts', 'agent_turn', 2700, 2900],
      ['execute_tool lookup_order', 'agent_turn', 2750, 2800],
    ],
  );
  const byName = Object.fromEntries(spans.map((span) => [span.name, span.attributes]));
  assert.equal(byName['chat cascade']!['gen_ai.operation.name'], 'chat');
  assert.equal(byName['execute_tool lookup_order']!['gen_ai.tool.call.id'], 'c1');
  assert.equal(byName.agent_turn!['voicesocket.turn.cut'], 'barge-in');
  assert.equal(byName.agent_turn!['voicesocket.latency.provider_ms'], 900);
  assert.equal(byName.agent_turn!['voicesocket.turn.text'], undefined, 'no words unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT');
  const captured = Object.fromEntries(spansOf(agentCall(), true).map((span) => [span.name, span.attributes]));
  assert.equal(captured.agent_turn!['voicesocket.turn.heard'], 'Let me check. It');
});

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  test(`the SDK sends the trace over OTLP/HTTP (${protocol}): ids, parents, real times, attributes, the service`, async (t) => {
    const receiver = await startOtlpReceiver();
    t.after(() => receiver.close());
    // The SDK reads OTEL_SERVICE_NAME from the process's environment itself.
    process.env.OTEL_SERVICE_NAME = 'phone-line';
    t.after(() => delete process.env.OTEL_SERVICE_NAME);
    const tracer = (await loadTracing({ endpoint: receiver.endpoint, protocol }, silentLogger))!;
    t.after(() => tracer.close());
    tracer.trace(agentCall());
    await tracer.flush();
    assert.deepEqual(receiver.contentTypes, [protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']);
    const spans = receiver.spans;
    assert.equal(spans.length, 7);
    const root = spans.find((span) => span.name === 'call')!;
    assert.equal(root.parentSpanId, '');
    assert.equal(root.kind, 2, 'SERVER');
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.ok(
      spans.every((span) => span.traceId === root.traceId),
      'one trace per call',
    );
    const turn = spans.find((span) => span.name === 'agent_turn')!;
    assert.equal(turn.parentSpanId, root.spanId);
    const tool = spans.find((span) => span.name === 'execute_tool lookup_order')!;
    assert.equal(tool.parentSpanId, turn.spanId);
    assert.equal(tool.attributes['gen_ai.tool.name'], 'lookup_order');
    const started = BigInt(Date.parse('2026-01-02T03:04:05.000Z')) * 1_000_000n;
    assert.equal(root.startNs, started);
    assert.equal(tool.startNs, started + 2750n * 1_000_000n);
    assert.equal(tool.endNs, started + 2800n * 1_000_000n);
    assert.equal(turn.attributes['voicesocket.latency.total_ms'], 920);
    assert.equal(root.attributes['vonage.call.uuid'], 'leg-1');
    assert.equal(root.resource['service.name'], 'phone-line', 'OTEL_SERVICE_NAME names the service');
  });
}

test('the server traces each call when OTEL_EXPORTER_OTLP_ENDPOINT names a collector; a failed call is an error span', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const server = await startTestServer({ app: (call) => call.on('dtmf', () => call.hangup(1011, 'app error')), config: { otelEndpoint: receiver.endpoint } });
  t.after(() => server.close());
  const started = performance.now();
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 2000, talk: 'skip', dtmf: [{ digit: '1', atMs: 300 }] });
  t.diagnostic(`call took ${Math.round(performance.now() - started)} ms; ${result.leg?.end}`);
  // The record (and so the trace) is finished a moment after the socket closes: flushed until it is there.
  await waitFor(
    async () => {
      await server.server.records!.flushTraces();
      return receiver.spans.some((span) => span.name === 'call');
    },
    5000,
    'the call span',
  );
  const root = receiver.spans.find((span) => span.name === 'call')!;
  assert.equal(root.attributes['vonage.call.uuid'], result.uuid);
  assert.equal(root.attributes['voicesocket.call.outcome'], 'app_error');
  assert.equal(root.status.code, 2, 'ERROR');
});

test('off by default, and free when off: no collector named, no OpenTelemetry SDK loaded; named, it is', async () => {
  assert.equal(tracesUrl({}), undefined);
  assert.equal(tracesUrl({ endpoint: 'http://c:4318/' }), 'http://c:4318/v1/traces');
  assert.equal(tracesUrl({ endpoint: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true' }), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'vs-lazy-otel-'));
  /** A server that records calls, in a process whose module loads are written down by a loader hook. */
  const loads = async (env: Record<string, string>): Promise<string> => {
    const log = join(dir, `loads-${Object.keys(env).length}.txt`);
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) appendFileSync(${JSON.stringify(log)}, specifier + '\\n');
  return next(specifier, context);
}`,
    );
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(pathToFileURL(hooks).href)});
      const { createServer, loadConfig } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)});
      const config = loadConfig({ port: '0', host: '127.0.0.1', logLevel: 'silent', callRecords: ${JSON.stringify(join(dir, 'records'))} });
      const server = createServer({ config });
      await server.listen();
      await server.close();
    `;
    // The built package, as users run it (npm test builds it first).
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    return existsSync(log) ? readFileSync(log, 'utf8') : '';
  };
  const off = await loads({});
  assert.doesNotMatch(off, /sdk-trace|exporter-trace-otlp/, off);
  const on = await loads({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  assert.match(on, /@opentelemetry\/sdk-trace/);
  assert.match(on, /@opentelemetry\/exporter-trace-otlp-proto/);
});
