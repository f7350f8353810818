import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ObservabilityError } from './errors.js';
import { ATTR, SPAN } from './names.js';
import { decodeTraceRequest, startOtlpReceiver, type OtlpReceiver } from './test-support/otlp-receiver.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

const started: Telemetry[] = [];
const receivers: OtlpReceiver[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.shutdown()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function otlpReceiver(status = 200): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver(status);
  receivers.push(receiver);
  return receiver;
}

function start(options: Partial<Parameters<typeof startTelemetry>[0]> = {}): Telemetry {
  const t = startTelemetry({ serviceName: 'patchbay-test', serviceVersion: '9.9.9', env: {}, ...options });
  started.push(t);
  return t;
}

describe('startTelemetry', () => {
  it('is off by default: no SDK, the no-op tracer, nothing recorded', async () => {
    const t = start();
    expect(t.enabled).toBe(false);
    expect(t.description.exporters).toEqual([]);
    const span = t.tracer.startSpan(SPAN.call);
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
    await t.shutdown();
  });

  it('stays off when OTEL_SDK_DISABLED=true, even with an endpoint or an injected exporter', () => {
    const exporter = new InMemorySpanExporter();
    const t = start({ env: { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, exporter });
    expect(t.enabled).toBe(false);
    t.tracer.startSpan('x').end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('traces in-process with an injected exporter: resource service.name, parent/child through the context', async () => {
    const exporter = new InMemorySpanExporter();
    const t = start({ exporter, env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=voice%20ai' } });
    expect(t.enabled).toBe(true);
    expect(t.description.exporters).toEqual(['injected']);
    t.tracer.startActiveSpan(SPAN.call, (call) => {
      call.setAttribute(ATTR.callId, 'c1');
      trace.getTracer('elsewhere').startSpan(SPAN.sipInvite).end(); // a library using only the API
      call.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual([SPAN.sipInvite, SPAN.call]);
    const [invite, call] = spans;
    expect(invite?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(invite?.spanContext().traceId).toBe(call?.spanContext().traceId);
    const attrs = call?.resource.attributes ?? {};
    expect(attrs['service.name']).toBe('patchbay-test');
    expect(attrs['service.version']).toBe('9.9.9');
    expect(attrs['deployment.environment']).toBe('test');
    expect(attrs['team']).toBe('voice ai');
    expect(attrs['telemetry.sdk.language']).toBe('nodejs');
    expect(call?.instrumentationScope.name).toBe('patchbay-test');
  });

  it('lets OTEL_SERVICE_NAME override the service name, and honours the sampler', () => {
    const exporter = new InMemorySpanExporter();
    start({ exporter, env: { OTEL_SERVICE_NAME: 'pb-eu-1', OTEL_TRACES_SAMPLER: 'always_off' } });
    const off = trace.getTracer('t').startSpan('dropped');
    expect(off.isRecording()).toBe(false);
    off.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it.each([
    { protocol: 'http/protobuf', env: {}, contentType: /^application\/x-protobuf/ },
    { protocol: 'http/json', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, contentType: /^application\/json/ },
    { protocol: 'http/protobuf', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, contentType: /^application\/x-protobuf/ },
  ])('exports $protocol ($env) to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, and shutdown flushes', async ({ protocol, env, contentType }) => {
    const receiver = await otlpReceiver();
    const errors: Error[] = [];
    const t = start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-patchbay-test=abc%3D1',
        OTEL_BSP_SCHEDULE_DELAY: '60000', // only shutdown can send it
        ...env,
      },
      onError: (e) => errors.push(e),
    });
    expect(t.enabled).toBe(true);
    expect(t.warnings).toEqual([]);
    expect(t.description).toMatchObject({ exporters: ['otlp'], endpoint: `${receiver.url}/v1/traces`, protocol });
    const span = t.tracer.startSpan(SPAN.turn, { attributes: { [ATTR.turnIndex]: 3 } });
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
    await t.shutdown(); // the batch delay is a minute: only the shutdown flush can have sent it
    expect(errors).toEqual([]);
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0];
    if (req === undefined) throw new Error('no request');
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/traces');
    expect(req.headers['content-type']).toMatch(contentType);
    expect(req.headers['x-patchbay-test']).toBe('abc=1');
    const body = decodeTraceRequest(req);
    expect(body.resourceSpans).toHaveLength(1);
    const rs = body.resourceSpans[0];
    expect(rs?.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).toBe('patchbay-test');
    expect(rs?.scopeSpans[0]?.scope.name).toBe('patchbay-test');
    const exported = rs?.scopeSpans[0]?.spans[0];
    expect(exported?.name).toBe(SPAN.turn);
    expect(exported?.traceId).toMatch(protocol === 'http/json' ? /^[0-9a-f]{32}$/ : /^[A-Za-z0-9+/]{22}==$/); // 16 bytes
    expect(exported?.attributes.map((a) => a.key)).toContain(ATTR.turnIndex);
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, and reports a refused export to onError without throwing', async () => {
    const receiver = await otlpReceiver(400);
    const errors: Error[] = [];
    const t = start({ env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/path` }, onError: (e) => errors.push(e) });
    t.tracer.startSpan('x').end();
    await expect(t.shutdown()).resolves.toBeUndefined();
    expect(receiver.requests[0]?.url).toBe('/custom/path');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('refuses a second enabled start until the first is shut down; shutdown is idempotent', async () => {
    const first = start({ exporter: new InMemorySpanExporter() });
    expect(() => start({ exporter: new InMemorySpanExporter() })).toThrowError(expect.objectContaining({ code: 'OBS_TELEMETRY_ACTIVE' }));
    await Promise.all([first.shutdown(), first.shutdown()]);
    const exporter = new InMemorySpanExporter();
    const second = start({ exporter });
    second.tracer.startSpan('again').end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['again']);
  });

  it('throws OBS_TELEMETRY_CONFIG listing every invalid OTEL_* value', () => {
    try {
      start({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ObservabilityError);
      expect((err as ObservabilityError).code).toBe('OBS_TELEMETRY_CONFIG');
      expect((err as ObservabilityError).issues).toHaveLength(3);
    }
  });
});
