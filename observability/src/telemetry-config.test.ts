import { describe, expect, it } from 'vitest';
import { ObservabilityError } from './errors.js';
import { parseTraceConfig } from './telemetry-config.js';

function issuesOf(env: Record<string, string>): readonly string[] {
  try {
    parseTraceConfig(env);
  } catch (err) {
    if (err instanceof ObservabilityError && err.code === 'OBS_TELEMETRY_CONFIG') return err.issues;
    throw err;
  }
  return [];
}

describe('parseTraceConfig', () => {
  it('is off with no OTEL_* variables, and ignores blank ones', () => {
    expect(parseTraceConfig({})).toMatchObject({ enabled: false, exporters: [], otlp: undefined });
    expect(parseTraceConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_TRACES_EXPORTER: '' }).enabled).toBe(false);
  });

  it('turns OTLP on from an endpoint: the base gets /v1/traces, the traces endpoint is used as given', () => {
    expect(parseTraceConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlp?.url).toBe('http://collector:4318/v1/traces');
    expect(parseTraceConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' }).otlp?.url).toBe('http://collector:4318/base/v1/traces');
    const specific = parseTraceConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces' });
    expect(specific).toMatchObject({ enabled: true, exporters: ['otlp'] });
    expect(specific.otlp?.url).toBe('https://b/otlp/traces');
  });

  it('follows OTEL_TRACES_EXPORTER: otlp without an endpoint goes to localhost:4318; none wins; console alone', () => {
    expect(parseTraceConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).otlp?.url).toBe('http://localhost:4318/v1/traces');
    expect(parseTraceConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' }).enabled).toBe(false);
    expect(parseTraceConfig({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ enabled: true, exporters: ['console'], otlp: undefined });
    expect(parseTraceConfig({ OTEL_TRACES_EXPORTER: 'otlp, console,otlp' }).exporters).toEqual(['otlp', 'console']);
  });

  it('is off when OTEL_SDK_DISABLED=true (case-insensitive), whatever else is set', () => {
    expect(parseTraceConfig({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ enabled: false, exporters: [] });
    expect(parseTraceConfig({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
  });

  it('reads headers (traces-specific over general, percent-decoded), timeout and compression', () => {
    const c = parseTraceConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-a=1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    expect(c.otlp).toMatchObject({ headers: { authorization: 'Bearer abc', 'x-a': '2' }, timeoutMillis: 2500, compression: 'gzip' });
  });

  it('sends http/protobuf by default, http/json when asked (traces-specific over general), and refuses grpc', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' };
    expect(parseTraceConfig(base).otlp?.protocol).toBe('http/protobuf');
    expect(parseTraceConfig({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' }).otlp?.protocol).toBe('http/json');
    expect(parseTraceConfig({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).otlp?.protocol).toBe('http/protobuf');
    expect(parseTraceConfig({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).warnings).toEqual([]);
    expect(issuesOf({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })[0]).toMatch(/^OTEL_EXPORTER_OTLP_PROTOCOL: grpc/);
    expect(issuesOf({ ...base, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })[0]).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "thrift"/);
  });

  it('builds the sampler: parent-based always-on by default, ratios checked', () => {
    expect(parseTraceConfig({}).sampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(parseTraceConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(issuesOf({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' })[0]).toMatch(/SAMPLER_ARG/);
  });

  it('reads resource attributes, with OTEL_SERVICE_NAME over service.name', () => {
    const c = parseTraceConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=x,deployment.environment=prod,k=a%2Cb', OTEL_SERVICE_NAME: 'pb' });
    expect(c.resourceAttributes).toEqual({ 'service.name': 'pb', 'deployment.environment': 'prod', k: 'a,b' });
  });

  it('lists every invalid value in one error', () => {
    const issues = issuesOf({
      OTEL_TRACES_EXPORTER: 'otlp,zipkin',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://x',
      OTEL_TRACES_SAMPLER: 'xray',
      OTEL_BSP_MAX_QUEUE_SIZE: '-3',
      OTEL_PROPAGATORS: 'b3',
      OTEL_RESOURCE_ATTRIBUTES: 'novalue',
    });
    expect(issues).toHaveLength(6);
    expect(issues.join('\n')).toMatch(/zipkin[\s\S]*ftp[\s\S]*xray[\s\S]*MAX_QUEUE_SIZE[\s\S]*b3[\s\S]*novalue/);
  });
});
