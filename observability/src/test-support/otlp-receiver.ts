/**
 * A local OTLP/HTTP trace receiver for tests: listens on 127.0.0.1:0, records each request, answers as a collector
 * would (an empty ExportTraceServiceResponse in the request's encoding) or with `status`, and decodes the bodies
 * of both OTLP/HTTP encodings into one shape.
 *
 * Protobuf bodies are decoded with the protobufjs code generated from the official opentelemetry-proto definitions,
 * as published in @opentelemetry/otlp-transformer 0.203 (installed under the alias otlp-transformer-protobufjs, a dev
 * dependency: later releases encode by hand and ship no decoder). Only its generated module is loaded.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import generated from 'otlp-transformer-protobufjs/build/src/generated/root.js';

export interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The part of an ExportTraceServiceRequest the tests read, in the OTLP/JSON field names. */
export interface OtlpTraceRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { scope: { name: string }; spans: { name: string; traceId: string; attributes: { key: string }[] }[] }[];
  }[];
}

export interface OtlpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(status = 200): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      const json = (req.headers['content-type'] ?? '').startsWith('application/json');
      res.writeHead(status, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      // An empty protobuf message is zero bytes; a refusal's google.rpc.Status is left empty too.
      res.end(json ? (status === 200 ? '{}' : '{"code":3,"message":"bad"}') : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

interface MessageType {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: { longs: StringConstructor; bytes: StringConstructor; enums: StringConstructor }): unknown;
}

/** ExportTraceServiceRequest of the generated module (typed by its author only as a protobufjs Root). */
function exportTraceServiceRequest(): MessageType {
  const root = generated as unknown as { opentelemetry?: { proto?: { collector?: { trace?: { v1?: { ExportTraceServiceRequest?: MessageType } } } } } };
  const type = root.opentelemetry?.proto?.collector?.trace?.v1?.ExportTraceServiceRequest;
  if (type === undefined) throw new Error('otlp-transformer-protobufjs: no opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return type;
}

/**
 * Decodes a received trace export by its content type: application/x-protobuf with the official definitions,
 * application/json as JSON. Both give the OTLP/JSON field names (ids: base64 from protobuf, hex from JSON).
 */
export function decodeTraceRequest(request: ReceivedRequest): OtlpTraceRequest {
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('application/x-protobuf')) {
    const type = exportTraceServiceRequest();
    return type.toObject(type.decode(request.body), { longs: String, bytes: String, enums: String }) as OtlpTraceRequest;
  }
  if (contentType.startsWith('application/json')) return JSON.parse(request.body.toString('utf8')) as OtlpTraceRequest;
  throw new Error(`not an OTLP/HTTP body: content-type "${contentType}"`);
}
