/**
 * The one place Patchbay starts the OpenTelemetry SDK. Everything else (gateway, agents, adapters) depends only on
 * `@opentelemetry/api` and gets its tracer from `trace.getTracer()` or from `Telemetry.tracer`.
 *
 * Off by default: unless the caller's `env` names an OTLP endpoint (or OTEL_TRACES_EXPORTER=otlp|console), or a test
 * injects an exporter, no SDK is started, nothing is registered, and the API's no-op tracer is used (a span costs a
 * couple of function calls and is not recording). No auto-instrumentations: they would trace every UDP packet and
 * HTTP scrape. Metrics do not go through the OTel metrics SDK at all (see metrics.ts: one Prometheus scrape path
 * and exact sub-millisecond buckets).
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import {
  CompositePropagator,
  loggingErrorHandler,
  setGlobalErrorHandler,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { hostname } from 'node:os';
import { ObservabilityError } from './errors.js';
import { parseTraceConfig, type Env, type OtlpProtocol, type TraceConfig } from './telemetry-config.js';

export interface TelemetryOptions {
  /** service.name unless OTEL_SERVICE_NAME overrides it; also the tracer's scope name. */
  serviceName: string;
  serviceVersion: string;
  /** Where OTEL_* settings are read from. The application passes `process.env`; libraries never read it. */
  env: Env;
  /** Tests: span processors used instead of the env-configured exporters. Turns tracing on. */
  spanProcessors?: SpanProcessor[];
  /** Tests: an exporter behind a SimpleSpanProcessor, instead of the env-configured ones. Turns tracing on. */
  exporter?: SpanExporter;
  /** Told of SDK errors (failed exports); default: ignored. Only while this Telemetry is running. */
  onError?: (error: Error) => void;
}

/** What was started, for a start-up log line. Holds no secrets (OTLP headers are left out). */
export interface TelemetryDescription {
  exporters: string[];
  endpoint: string | undefined;
  protocol: OtlpProtocol | undefined;
  sampler: string;
  resource: Record<string, string>;
}

export interface Telemetry {
  readonly enabled: boolean;
  /** The tracer to start spans with; the API's no-op tracer when tracing is off. */
  readonly tracer: Tracer;
  readonly description: TelemetryDescription;
  /** Settings accepted but not honoured exactly (for the start-up log line). */
  readonly warnings: readonly string[];
  /** Flushes pending spans and stops the SDK (unregisters the global tracer provider). Idempotent; never rejects
   *  (a failed final export goes to `onError`). */
  shutdown(): Promise<void>;
}

let running: object | undefined;

/**
 * Starts tracing as the `env` and options ask. Throws ObservabilityError: OBS_TELEMETRY_CONFIG (every invalid OTEL_*
 * value listed in `issues`), OBS_TELEMETRY_ACTIVE (an enabled Telemetry is already running in this process).
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const config = parseTraceConfig(options.env);
  const injected = [...(options.spanProcessors ?? []), ...(options.exporter ? [new SimpleSpanProcessor({ exporter: options.exporter })] : [])];
  const disabled = options.env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true';
  const enabled = !disabled && (injected.length > 0 || config.enabled);
  const resource = resourceAttributes(options, config);
  const description: TelemetryDescription = {
    exporters: !enabled ? [] : injected.length > 0 ? ['injected'] : config.exporters,
    endpoint: enabled && injected.length === 0 ? config.otlp?.url : undefined,
    protocol: enabled && injected.length === 0 ? config.otlp?.protocol : undefined,
    sampler: config.sampler.name.endsWith('traceidratio') ? `${config.sampler.name}(${config.sampler.ratio})` : config.sampler.name,
    resource,
  };
  const tracerFor = (): Tracer => trace.getTracer(options.serviceName, options.serviceVersion);
  if (!enabled) {
    return { enabled: false, tracer: tracerFor(), description, warnings: config.warnings, shutdown: () => Promise.resolve() };
  }
  if (running !== undefined) {
    throw new ObservabilityError('OBS_TELEMETRY_ACTIVE', 'telemetry is already running in this process: shut it down before starting another');
  }

  const processors = injected.length > 0 ? injected : envProcessors(config);
  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes(resource)),
    autoDetectResources: false,
    spanProcessors: processors,
    sampler: sampler(config),
    textMapPropagator: propagator(config),
    instrumentations: [],
    // Explicitly empty: otherwise NodeSDK builds OTLP metric and log exporters from process.env by default.
    metricReaders: [],
    logRecordProcessors: [],
  });
  if (options.onError) {
    const onError = options.onError;
    setGlobalErrorHandler((err) => onError(err instanceof Error ? err : new Error(String(err))));
  }
  sdk.start();
  const token = {};
  running = token;

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await sdk.shutdown();
      } catch (err) {
        // The last export failed (collector down, refused): report it; shutting down must still succeed.
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        if (options.onError) setGlobalErrorHandler(loggingErrorHandler());
        if (running === token) running = undefined;
      }
    })();
    return stopping;
  };
  return { enabled: true, tracer: tracerFor(), description, warnings: config.warnings, shutdown };
}

function resourceAttributes(options: TelemetryOptions, config: TraceConfig): Record<string, string> {
  return {
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion,
    'host.name': hostname(),
    'process.pid': String(process.pid),
    ...config.resourceAttributes,
  };
}

function envProcessors(config: TraceConfig): SpanProcessor[] {
  const out: SpanProcessor[] = [];
  for (const kind of config.exporters) {
    if (kind === 'console') {
      out.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    } else if (config.otlp) {
      // Every setting is passed explicitly: the exporter falls back on process.env only for what we leave unset
      // (client certificates), so the `env` handed to us wins. The two exporters differ only in the body's encoding.
      const settings = {
        url: config.otlp.url,
        headers: config.otlp.headers,
        timeoutMillis: config.otlp.timeoutMillis,
        compression: config.otlp.compression as CompressionOption,
      };
      const exporter = config.otlp.protocol === 'http/json' ? new OTLPJsonTraceExporter(settings) : new OTLPProtoTraceExporter(settings);
      out.push(new BatchSpanProcessor({ exporter, ...config.batch }));
    }
  }
  return out;
}

type CompressionOption = NonNullable<ConstructorParameters<typeof OTLPProtoTraceExporter>[0]>['compression'];

function sampler(config: TraceConfig): Sampler {
  const { name, ratio } = config.sampler;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function propagator(config: TraceConfig): CompositePropagator {
  return new CompositePropagator({
    propagators: config.propagators.map((p) => (p === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator())),
  });
}
