/**
 * A local OTLP/HTTP trace receiver, written from the specification so the official exporters can be
 * pointed at it (their `url`, or OTEL_EXPORTER_OTLP_ENDPOINT):
 *
 * - OTLP/HTTP: `POST /v1/traces`, body an `ExportTraceServiceRequest`, as binary protobuf
 *   (`Content-Type: application/x-protobuf`) or JSON (`application/json`), gzip when
 *   `Content-Encoding: gzip`; success is `200` with an `ExportTraceServiceResponse` in the same
 *   encoding — https://opentelemetry.io/docs/specs/otlp/#otlphttp
 * - JSON mapping: lowerCamelCase field names, trace and span ids as hex strings (not base64), enums
 *   as integers, 64-bit integers as decimal strings — https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 * - The messages and their field numbers: opentelemetry-proto's `collector/trace/v1/trace_service.proto`,
 *   `trace/v1/trace.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`
 *   (https://github.com/open-telemetry/opentelemetry-proto). The binary decoder below reads the
 *   protobuf wire format (varints, fixed 64/32-bit, length-delimited) for the fields a trace needs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** The base to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Content types of the requests, in order. */
  contentTypes: string[];
  close(): Promise<void>;
}

// ---- the protobuf wire format (https://protobuf.dev/programming-guides/encoding/) ----

type Field = { number: number; varint?: bigint; bytes?: Buffer; fixed64?: bigint; fixed32?: number };

function* fields(buffer: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        yield { number, varint: varint() };
        break;
      case 1:
        yield { number, fixed64: buffer.readBigUInt64LE(at) };
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        yield { number, bytes: buffer.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        yield { number, fixed32: buffer.readUInt32LE(at) };
        at += 4;
        break;
      default:
        throw new Error(`wire type ${key & 7} is not in OTLP`);
    }
  }
}

/** AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4, array_value 5, kvlist_value 6, bytes_value 7. */
function anyValue(buffer: Buffer): unknown {
  for (const field of fields(buffer)) {
    if (field.number === 1) return field.bytes!.toString('utf8');
    if (field.number === 2) return field.varint === 1n;
    if (field.number === 3) return Number(BigInt.asIntN(64, field.varint!));
    if (field.number === 4)
      return field.fixed64 === undefined ? 0 : Buffer.from(BigInt.asUintN(64, field.fixed64).toString(16).padStart(16, '0'), 'hex').readDoubleBE(0);
    if (field.number === 5) return [...fields(field.bytes!)].filter((f) => f.number === 1).map((f) => anyValue(f.bytes!));
  }
  return undefined;
}

/** KeyValue: key 1, value 2. */
function keyValues(list: Buffer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const buffer of list) {
    let key = '';
    let value: unknown;
    for (const field of fields(buffer)) {
      if (field.number === 1) key = field.bytes!.toString('utf8');
      if (field.number === 2) value = anyValue(field.bytes!);
    }
    out[key] = value;
  }
  return out;
}

const childrenOf = (buffer: Buffer, number: number) => [...fields(buffer)].filter((field) => field.number === number).map((field) => field.bytes!);

/** ExportTraceServiceRequest: resource_spans 1; ResourceSpans: resource 1, scope_spans 2; Resource: attributes 1; ScopeSpans: spans 2. */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of childrenOf(body, 1)) {
    const resource = keyValues(childrenOf(resourceSpans, 1).flatMap((r) => childrenOf(r, 1)));
    for (const scopeSpans of childrenOf(resourceSpans, 2)) {
      for (const buffer of childrenOf(scopeSpans, 2)) {
        // Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9, status 15 (message 2, code 3).
        const span: ReceivedSpan = {
          traceId: '',
          spanId: '',
          parentSpanId: '',
          name: '',
          kind: 0,
          startNs: 0n,
          endNs: 0n,
          attributes: {},
          status: { code: 0, message: '' },
          resource,
        };
        const attributes: Buffer[] = [];
        for (const field of fields(buffer)) {
          if (field.number === 1) span.traceId = field.bytes!.toString('hex');
          else if (field.number === 2) span.spanId = field.bytes!.toString('hex');
          else if (field.number === 4) span.parentSpanId = field.bytes!.toString('hex');
          else if (field.number === 5) span.name = field.bytes!.toString('utf8');
          else if (field.number === 6) span.kind = Number(field.varint);
          else if (field.number === 7) span.startNs = field.fixed64!;
          else if (field.number === 8) span.endNs = field.fixed64!;
          else if (field.number === 9) attributes.push(field.bytes!);
          else if (field.number === 15)
            for (const status of fields(field.bytes!)) {
              if (status.number === 2) span.status.message = status.bytes!.toString('utf8');
              if (status.number === 3) span.status.code = Number(status.varint);
            }
        }
        span.attributes = keyValues(attributes);
        spans.push(span);
      }
    }
  }
  return spans;
}

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonValue[] };
}
const jsonValue = (value: JsonValue): unknown =>
  value.stringValue ??
  value.boolValue ??
  (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.arrayValue?.values?.map(jsonValue)));
const jsonAttributes = (list: Array<{ key: string; value: JsonValue }> = []) => Object.fromEntries(list.map(({ key, value }) => [key, jsonValue(value)]));

function fromJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans?: Array<{
      resource?: { attributes?: Array<{ key: string; value: JsonValue }> };
      scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>;
    }>;
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: String(span.traceId ?? ''),
        spanId: String(span.spanId ?? ''),
        parentSpanId: String(span.parentSpanId ?? ''),
        name: String(span.name ?? ''),
        kind: Number(span.kind ?? 0),
        startNs: BigInt(String(span.startTimeUnixNano ?? 0)),
        endNs: BigInt(String(span.endTimeUnixNano ?? 0)),
        attributes: jsonAttributes(span.attributes as Array<{ key: string; value: JsonValue }>),
        status: { code: Number((span.status as { code?: number })?.code ?? 0), message: String((span.status as { message?: string })?.message ?? '') },
        resource,
      })),
    );
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end();
      let body = Buffer.concat(parts);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = String(request.headers['content-type'] ?? '').split(';')[0]!;
      contentTypes.push(type);
      if (type === 'application/x-protobuf') {
        spans.push(...fromProtobuf(body));
        // An empty ExportTraceServiceResponse: zero bytes.
        return void response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      }
      if (type === 'application/json') {
        spans.push(...fromJson(body));
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
      response.writeHead(415).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
