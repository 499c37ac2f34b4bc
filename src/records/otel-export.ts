/**
 * The OpenTelemetry SDK at work: a tracer provider of its own (the process's global one is left to
 * the user), a batching processor, and the official OTLP/HTTP trace exporter (protobuf or JSON),
 * which reads the standard OTEL_EXPORTER_OTLP_* variables for headers, timeout and compression; the
 * resource names the service (`voicesocket`, or OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES).
 * Loaded only by call-tracing.ts, only when tracing is on: every import here is the SDK's weight.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';
import { SampledLog } from '../call/logger.js';
import type { CallRecord } from './call-record.js';
import type { CallTracer, OtelProtocol } from './call-tracing.js';
import { spansOf } from './trace-spans.js';

const KINDS = { server: SpanKind.SERVER, internal: SpanKind.INTERNAL, client: SpanKind.CLIENT } as const;

export interface OtelExportOptions {
  url: string;
  protocol: OtelProtocol;
  log: Logger;
  captureContent: boolean;
  /** How long spans wait to be sent together, ms (the SDK's default is 5 s). */
  scheduledDelayMs?: number;
}

/** An exporter that says when a batch could not be sent (the SDK's own diagnostics are silent by default). */
function reporting(exporter: SpanExporter, log: SampledLog, url: string): SpanExporter {
  return {
    export(spans: ReadableSpan[], done) {
      exporter.export(spans, (result) => {
        if (result.code !== 0)
          log.warn(errorCode('TRACING_FAILED'), { url, spans: spans.length, detail: result.error?.message }, 'traces not exported to the OTLP collector');
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

export async function startOtelExport(options: OtelExportOptions): Promise<CallTracer> {
  const { OTLPTraceExporter } =
    options.protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
  const exporter = reporting(new OTLPTraceExporter({ url: options.url }), new SampledLog(options.log), options.url);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'voicesocket' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor({ exporter, ...(options.scheduledDelayMs !== undefined ? { scheduledDelayMillis: options.scheduledDelayMs } : {}) }),
    ],
  });
  const tracer = provider.getTracer('voicesocket');
  options.log.info({ url: options.url, protocol: options.protocol }, 'tracing: each call is a trace, sent over OTLP when it ends');
  return {
    trace(record: CallRecord) {
      try {
        const origin = Date.parse(record.startedAt);
        const made: Span[] = [];
        for (const spec of spansOf(record, options.captureContent)) {
          const parent = spec.parent >= 0 ? made[spec.parent] : undefined;
          const span = tracer.startSpan(
            spec.name,
            { kind: KINDS[spec.kind], startTime: origin + spec.startMs, attributes: spec.attributes },
            parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
          );
          if (spec.error) span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error });
          made.push(span);
          span.end(origin + spec.endMs);
        }
      } catch (error) {
        options.log.warn({ code: errorCode('TRACING_FAILED'), err: error }, "a call's trace could not be made");
      }
    },
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  };
}
