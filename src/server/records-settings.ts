/**
 * The call records' settings rows (docs/records.md): recordings, records, reports, analysis, traces.
 * Tracing's rows are OpenTelemetry's own variables, so a deployment that sets them for everything
 * else sets them for voicesocket too; the other OTEL_* variables (headers, timeout, service name)
 * are read by the SDK itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { nonEmpty, oneOf, setting, urlOf, type Setting } from './setting-parsers.js';

const HTTP = ['http:', 'https:'];

/** A file holding a JSON object (the analysis schema); its meaning is checked at start. */
const jsonObjectFile = (raw: string): string | undefined => {
  if (!raw.trim() || !existsSync(raw)) return undefined;
  try {
    const value = JSON.parse(readFileSync(raw, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? raw : undefined;
  } catch {
    return undefined;
  }
};

export const RECORDS_SETTINGS: Setting[] = [
  setting({
    key: 'recordCalls',
    env: 'RECORD_CALLS',
    flag: '--record-calls <dir>',
    description: 'record every call as a stereo WAV in this folder (the caller left, what the app sent right), whatever the app',
    allowed: 'a folder path (made if missing; it must be writable)',
    example: 'recordings/',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'callRecords',
    env: 'CALL_RECORDS',
    flag: '--call-records <dir>',
    description: "write every call's record (JSON: turns, what was heard, latency, tools, faults) in this folder; the dashboard's call history reads it",
    allowed: 'a folder path (made if missing; it must be writable)',
    example: 'call-records/',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'callReportUrl',
    env: 'CALL_REPORT_URL',
    flag: '--call-report-url <url>',
    description: "POST every call's record here, signed, retried until it is taken (needs --call-report-secret)",
    allowed: 'an absolute http(s):// URL',
    example: 'https://reports.example.com/calls',
    invalid: 'ftp://example.com',
    parse: urlOf(HTTP),
  }),
  setting({
    key: 'callReportSecret',
    secret: true,
    env: 'CALL_REPORT_SECRET',
    flag: '--call-report-secret <secret>',
    description: "the HMAC-SHA256 key of the reports' Voicesocket-Signature header",
    allowed: '16 to 512 printable ASCII characters without spaces',
    example: 'a-long-report-secret-0123',
    invalid: 'short',
    parse: (raw) => (/^[\x21-\x7e]{16,512}$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'callReportSpool',
    env: 'CALL_REPORT_SPOOL',
    flag: '--call-report-spool <dir>',
    description: 'where reports wait for their receiver (kept across restarts)',
    allowed: 'a folder path (made if missing)',
    example: 'spool/',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'analysisModel',
    env: 'ANALYSIS_MODEL',
    flag: '--analysis-model <name>',
    description: 'analyse each call with this chat model (a summary, an outcome label, the --analysis-schema fields), added to its record',
    allowed: 'a model name, 1 to 200 printable characters without spaces',
    example: 'gpt-4o-mini',
    invalid: ' ',
    parse: (raw) => (/^[\x21-\x7e]{1,200}$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'analysisUrl',
    env: 'ANALYSIS_BASE_URL',
    flag: '--analysis-url <url>',
    description: "the analysis model's OpenAI-compatible API base (default: LLM_BASE_URL, the cascade's, else OpenAI's); key LLM_API_KEY or OPENAI_API_KEY",
    allowed: 'an absolute http(s):// URL',
    example: 'http://127.0.0.1:11434/v1',
    invalid: 'ollama',
    parse: urlOf(HTTP),
  }),
  setting({
    key: 'analysisSchema',
    env: 'ANALYSIS_SCHEMA',
    flag: '--analysis-schema <file.json>',
    description: 'a JSON Schema of the fields the analysis extracts from each call (docs/examples/analysis-schema.json)',
    allowed: 'the path of a file holding a JSON object',
    example: 'docs/examples/analysis-schema.json',
    invalid: 'no-such-schema.json',
    parse: jsonObjectFile,
  }),
  setting({
    key: 'otelEndpoint',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    flag: '--otel-endpoint <url>',
    description: 'send a trace of every call over OTLP/HTTP to this collector (/v1/traces is added); tracing is off without it',
    allowed: 'an absolute http(s):// URL',
    example: 'http://127.0.0.1:4318',
    invalid: 'collector:4318',
    parse: urlOf(HTTP),
  }),
  setting({
    key: 'otelTracesEndpoint',
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    flag: '--otel-traces-endpoint <url>',
    description: 'the OTLP traces URL as is (wins over --otel-endpoint)',
    allowed: 'an absolute http(s):// URL',
    example: 'http://127.0.0.1:4318/v1/traces',
    invalid: 'collector:4318',
    parse: urlOf(HTTP),
  }),
  setting({
    key: 'otelProtocol',
    env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    flag: '--otel-protocol <protocol>',
    description: 'OTLP over HTTP with protobuf (the default) or JSON',
    allowed: 'http/protobuf or http/json (gRPC is not supported)',
    example: 'http/json',
    invalid: 'grpc',
    parse: oneOf(['http/protobuf', 'http/json'] as const),
  }),
];
