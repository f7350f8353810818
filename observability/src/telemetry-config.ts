/**
 * Reads the standard OpenTelemetry environment variables (from the `env` object the caller hands in, never from
 * `process.env`) into a typed trace configuration. Pure: no SDK objects, so every rule unit-tests exactly.
 *
 * Tracing is off unless asked for: an OTLP endpoint variable, or OTEL_TRACES_EXPORTER naming otlp or console.
 * Every invalid value is collected and reported together (`OBS_TELEMETRY_CONFIG`).
 */
import { ObservabilityError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export type TraceExporterKind = 'otlp' | 'console';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpSettings {
  /** Full URL the spans are POSTed to (…/v1/traces). */
  url: string;
  /** The body's encoding: http/protobuf (the SDK's and the spec's default) or http/json. */
  protocol: OtlpProtocol;
  /** Extra request headers (OTEL_EXPORTER_OTLP_HEADERS, then _TRACES_HEADERS over it). Never logged. */
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
}

export interface BatchSettings {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export interface TraceConfig {
  /** False when OTEL_SDK_DISABLED=true or nothing asks for an exporter. */
  enabled: boolean;
  exporters: TraceExporterKind[];
  otlp: OtlpSettings | undefined;
  sampler: { name: SamplerName; ratio: number };
  batch: BatchSettings;
  propagators: ('tracecontext' | 'baggage')[];
  /** OTEL_RESOURCE_ATTRIBUTES, with OTEL_SERVICE_NAME applied as service.name. */
  resourceAttributes: Record<string, string>;
  /** Settings we accept but do not honour exactly (for a start-up log line). */
  warnings: string[];
}

const DEFAULT_OTLP_BASE = 'http://localhost:4318';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** Parses the trace-related OTEL_* variables. Throws ObservabilityError(OBS_TELEMETRY_CONFIG) listing every bad one. */
export function parseTraceConfig(env: Env): TraceConfig {
  const issues: string[] = [];
  const warnings: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const disabled = get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const endpointSpecific = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpointBase = get('OTEL_EXPORTER_OTLP_ENDPOINT');

  let exporters: TraceExporterKind[] = [];
  const exporterList = get('OTEL_TRACES_EXPORTER');
  if (exporterList === undefined) {
    if (endpointSpecific !== undefined || endpointBase !== undefined) exporters = ['otlp'];
  } else {
    const names = [...new Set(exporterList.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))];
    if (!names.includes('none')) {
      for (const name of names) {
        if (name === 'otlp' || name === 'console') exporters.push(name);
        else issues.push(`OTEL_TRACES_EXPORTER: "${name}" is not supported (otlp, console or none)`);
      }
    }
  }

  let otlp: OtlpSettings | undefined;
  if (exporters.includes('otlp')) {
    const url = endpointSpecific !== undefined ? checkUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', endpointSpecific, issues) : checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', appendPath(endpointBase ?? DEFAULT_OTLP_BASE, 'v1/traces'), issues);
    const protocol = (get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? get('OTEL_EXPORTER_OTLP_PROTOCOL'))?.toLowerCase();
    const protocolName = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    if (protocol === 'grpc') issues.push(`${protocolName}: grpc is not supported; use http/protobuf or http/json (the collector port 4318)`);
    else if (protocol !== undefined && protocol !== 'http/protobuf' && protocol !== 'http/json') issues.push(`${protocolName}: "${protocol}" is not an OTLP protocol (http/protobuf or http/json)`);
    const headers = { ...parseKeyValues('OTEL_EXPORTER_OTLP_HEADERS', get('OTEL_EXPORTER_OTLP_HEADERS'), issues), ...parseKeyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', get('OTEL_EXPORTER_OTLP_TRACES_HEADERS'), issues) };
    const timeoutName = get('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
    const timeoutMillis = positiveInt(timeoutName, get(timeoutName), 10_000, issues);
    const compressionName = get('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION' : 'OTEL_EXPORTER_OTLP_COMPRESSION';
    const compression = get(compressionName)?.toLowerCase() ?? 'none';
    if (compression !== 'gzip' && compression !== 'none') issues.push(`${compressionName}: "${compression}" is not gzip or none`);
    otlp = { url: url ?? '', protocol: protocol === 'http/json' ? 'http/json' : 'http/protobuf', headers, timeoutMillis, compression: compression === 'gzip' ? 'gzip' : 'none' };
  }

  const samplerRaw = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const samplerName = SAMPLERS.find((s) => s === samplerRaw);
  if (samplerName === undefined) issues.push(`OTEL_TRACES_SAMPLER: "${samplerRaw}" is not supported (${SAMPLERS.join(', ')})`);
  let ratio = 1;
  const ratioRaw = get('OTEL_TRACES_SAMPLER_ARG');
  if (ratioRaw !== undefined && samplerName?.endsWith('traceidratio') === true) {
    const r = Number(ratioRaw);
    if (!Number.isFinite(r) || r < 0 || r > 1) issues.push(`OTEL_TRACES_SAMPLER_ARG: "${ratioRaw}" is not a ratio between 0 and 1`);
    else ratio = r;
  }

  const batch: BatchSettings = {
    scheduledDelayMillis: positiveInt('OTEL_BSP_SCHEDULE_DELAY', get('OTEL_BSP_SCHEDULE_DELAY'), 5000, issues),
    exportTimeoutMillis: positiveInt('OTEL_BSP_EXPORT_TIMEOUT', get('OTEL_BSP_EXPORT_TIMEOUT'), 30_000, issues),
    maxQueueSize: positiveInt('OTEL_BSP_MAX_QUEUE_SIZE', get('OTEL_BSP_MAX_QUEUE_SIZE'), 2048, issues),
    maxExportBatchSize: positiveInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', get('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'), 512, issues),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) issues.push('OTEL_BSP_MAX_EXPORT_BATCH_SIZE: must not exceed OTEL_BSP_MAX_QUEUE_SIZE');

  const propagators: ('tracecontext' | 'baggage')[] = [];
  for (const name of (get('OTEL_PROPAGATORS') ?? 'tracecontext,baggage').split(',').map((s) => s.trim().toLowerCase())) {
    if (name === 'tracecontext' || name === 'baggage') propagators.push(name);
    else if (name !== 'none' && name !== '') issues.push(`OTEL_PROPAGATORS: "${name}" is not supported (tracecontext, baggage or none)`);
  }

  const resourceAttributes = parseKeyValues('OTEL_RESOURCE_ATTRIBUTES', get('OTEL_RESOURCE_ATTRIBUTES'), issues);
  const serviceName = get('OTEL_SERVICE_NAME');
  if (serviceName !== undefined) resourceAttributes['service.name'] = serviceName;

  if (issues.length > 0) {
    throw new ObservabilityError('OBS_TELEMETRY_CONFIG', `invalid OpenTelemetry configuration:\n  ${issues.join('\n  ')}`, { issues });
  }
  return {
    enabled: !disabled && exporters.length > 0,
    exporters: disabled ? [] : exporters,
    otlp: disabled ? undefined : otlp,
    sampler: { name: samplerName ?? 'parentbased_always_on', ratio },
    batch,
    propagators,
    resourceAttributes,
    warnings,
  };
}

/** `key=value,key2=value2` with percent-encoded values (the W3C Baggage octet rules the spec refers to). */
export function parseKeyValues(name: string, raw: string | undefined, issues: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    if (key === '') {
      issues.push(`${name}: "${part.trim()}" is not key=value`);
      continue;
    }
    const value = part.slice(eq + 1).trim();
    try {
      out[decodeURIComponent(key)] = decodeURIComponent(value);
    } catch {
      issues.push(`${name}: the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}

function appendPath(base: string, path: string): string {
  return base.endsWith('/') ? `${base}${path}` : `${base}/${path}`;
}

function checkUrl(name: string, value: string, issues: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push(`${name}: "${value}" is not a URL`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push(`${name}: "${value}" must be http:// or https://`);
    return undefined;
  }
  return url.toString();
}

function positiveInt(name: string, raw: string | undefined, fallback: number, issues: string[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    issues.push(`${name}: "${raw}" is not a positive integer`);
    return fallback;
  }
  return n;
}
