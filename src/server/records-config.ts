/**
 * The call records' part of the server configuration (docs/records.md): a leaf, so that config.ts
 * and the settings rows (records-settings.ts) both read it without a circle.
 */
export interface RecordsConfig {
  /** A stereo WAV of every call in this folder (caller left, app right). */
  recordCalls: string | undefined;
  /** Every call's record (JSON) in this folder; the call history reads it. */
  callRecords: string | undefined;
  /** Every call's record POSTed here, signed, with retries. */
  callReportUrl: string | undefined;
  /** The HMAC key of the reports' signature. */
  callReportSecret: string | undefined;
  /** Where reports wait for their receiver. */
  callReportSpool: string;
  /** The chat model that analyses each call; no analysis when unset. */
  analysisModel: string | undefined;
  /** Its OpenAI-compatible API base; LLM_BASE_URL (the cascade's), else OpenAI's. */
  analysisUrl: string | undefined;
  /** A JSON Schema file: the fields the analysis extracts. */
  analysisSchema: string | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: tracing is on when a collector is named. */
  otelEndpoint: string | undefined;
  otelTracesEndpoint: string | undefined;
  otelProtocol: 'http/protobuf' | 'http/json';
}

export const DEFAULT_RECORDS_CONFIG: RecordsConfig = {
  recordCalls: undefined,
  callRecords: undefined,
  callReportUrl: undefined,
  callReportSecret: undefined,
  // Beside the working directory, like the record app's recordings/: found where the server runs.
  callReportSpool: 'call-report-spool',
  analysisModel: undefined,
  analysisUrl: undefined,
  analysisSchema: undefined,
  otelEndpoint: undefined,
  otelTracesEndpoint: undefined,
  // OTLP's own default (the specification's; every collector takes it).
  otelProtocol: 'http/protobuf',
};
