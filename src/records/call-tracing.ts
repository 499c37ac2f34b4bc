/**
 * OpenTelemetry traces of calls, off by default and free when off: nothing of the SDK is loaded unless
 * a collector is named (`--otel-endpoint`, OTEL_EXPORTER_OTLP_ENDPOINT, or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not `true`. Then the official
 * packages (otel-export.ts, imported only here and only then) send each call's trace over OTLP/HTTP,
 * protobuf by default or JSON (`--otel-protocol http/json`), when the call ends: its spans are read
 * from its record (trace-spans.ts), with their real times.
 */
import type { Logger } from '../call/logger.js';
import type { CallRecord } from './call-record.js';
import { VoicesocketError } from '../errors.js';
import { loadWithSdk } from '../vendor-sdk.js';

export const OTEL_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtelProtocol = (typeof OTEL_PROTOCOLS)[number];

export interface TracingSettings {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (`/v1/traces` is added). */
  endpoint?: string | undefined;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the traces URL as is (wins over `endpoint`). */
  tracesEndpoint?: string | undefined;
  protocol?: OtelProtocol | undefined;
}

export interface CallTracer {
  /** Sends the call's trace (batched; never throws). */
  trace(record: CallRecord): void;
  /** Sends what is batched now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where traces go, or undefined when tracing is off. */
export function tracesUrl(settings: TracingSettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.trim() === 'none') return undefined;
  if (settings.tracesEndpoint) return settings.tracesEndpoint;
  if (settings.endpoint) return `${settings.endpoint.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/** The protocol of the traces exporter: the traces-specific variable, the setting, then OTLP's default. */
export function tracesProtocol(settings: TracingSettings, env: NodeJS.ProcessEnv = process.env): OtelProtocol {
  const named = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || settings.protocol || 'http/protobuf';
  if (!(OTEL_PROTOCOLS as readonly string[]).includes(named))
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=${JSON.stringify(named)} is not allowed; expected ${OTEL_PROTOCOLS.join(' or ')}`,
    );
  return named as OtelProtocol;
}

/** The call tracer when tracing is on (the SDK loaded now), else undefined with nothing loaded. */
export async function loadTracing(settings: TracingSettings, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<CallTracer | undefined> {
  const url = tracesUrl(settings, env);
  if (!url) return undefined;
  const protocol = tracesProtocol(settings, env);
  const { startOtelExport } = await loadWithSdk('OTEL_EXPORTER_OTLP_ENDPOINT (tracing)', () => import('./otel-export.js'));
  return startOtelExport({ url, protocol, log, captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === 'true' });
}
