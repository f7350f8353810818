/**
 * Static consistency of the observability assets, without Docker or a network: the Grafana dashboards query only
 * metrics the gateway exports (names.ts, plus prom-client's default Node metrics) with labels those metrics carry
 * and hop values from HOP_LABELS; their data source matches the provisioning; docker/compose.yaml mounts files that
 * exist, and Prometheus, the collector, Grafana and the gateway agree on hosts and ports. (Whether a running gateway
 * really exports these names is another test's job.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DIRECTION_LABELS, HOP_LABELS, LABEL, METRIC } from './names.js';
import { PromQLScanError, scanPromQL, variableQueryExprs, type Selector } from './test-support/promql-scan.js';
import { composeMounts, composePorts, isRecord, portOf, record, records, str, strings, type Json } from './test-support/stack-files.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const at = (...parts: string[]): string => join(ROOT, ...parts);
const DASHBOARDS_DIR = at('observability/grafana/dashboards');
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const readYaml = (file: string): unknown => parseYaml(readFileSync(file, 'utf8'));

type Kind = 'counter' | 'gauge' | 'histogram';
/** Type and labels of each METRIC, as names.ts documents them; a metric added there fails typecheck until added here. */
const SHAPES = {
  activeCalls: { kind: 'gauge', labels: [] },
  drainState: { kind: 'gauge', labels: [] },
  callsTotal: { kind: 'counter', labels: [LABEL.result] },
  callsRejectedTotal: { kind: 'counter', labels: [LABEL.status] },
  transfersRefusedTotal: { kind: 'counter', labels: [LABEL.reason] },
  agentConnectFailuresTotal: { kind: 'counter', labels: [LABEL.reason] },
  forwardLegsTotal: { kind: 'counter', labels: [LABEL.outcome] },
  agentFailoversTotal: { kind: 'counter', labels: [LABEL.reason] },
  agentRedialsTotal: { kind: 'counter', labels: [LABEL.outcome] },
  sipRequestsTotal: { kind: 'counter', labels: [LABEL.method] },
  sipResponsesTotal: { kind: 'counter', labels: [LABEL.method, LABEL.status] },
  sipAuthFailuresTotal: { kind: 'counter', labels: [LABEL.reason] },
  sipAuthLockoutsTotal: { kind: 'counter', labels: [] },
  sipEdgeDroppedTotal: { kind: 'counter', labels: [LABEL.reason] },
  sipEdgeBansTotal: { kind: 'counter', labels: [] },
  sipEdgeBansActive: { kind: 'gauge', labels: [] },
  sipEdgeSources: { kind: 'gauge', labels: [] },
  sipEdgeEvictedTotal: { kind: 'counter', labels: [] },
  sipEdgeConnectionsRefusedTotal: { kind: 'counter', labels: [] },
  sipTlsConnections: { kind: 'gauge', labels: [] },
  sipTlsHandshakeFailuresTotal: { kind: 'counter', labels: [] },
  sipTlsConnectFailuresTotal: { kind: 'counter', labels: [] },
  hopLatency: { kind: 'histogram', labels: [LABEL.hop] },
  jitterBufferDepth: { kind: 'histogram', labels: [] },
  packetsLostTotal: { kind: 'counter', labels: [LABEL.direction] },
  packetsExpectedTotal: { kind: 'counter', labels: [LABEL.direction] },
  rtcpJitter: { kind: 'histogram', labels: [] },
  callMos: { kind: 'histogram', labels: [] },
  bargeInReaction: { kind: 'histogram', labels: [] },
  droppedFramesTotal: { kind: 'counter', labels: [LABEL.direction, LABEL.reason] },
  wsSendQueueFrames: { kind: 'gauge', labels: [] },
  mediaClockLateTicks: { kind: 'gauge', labels: [] },
  mediaClockStallsTotal: { kind: 'counter', labels: [] },
  rtpRejectedPacketsTotal: { kind: 'counter', labels: [] },
  rtpRejectedSourcesTotal: { kind: 'counter', labels: [] },
  srtpFailuresTotal: { kind: 'counter', labels: ['failure'] },
  trunkRegistrationState: { kind: 'gauge', labels: [LABEL.trunk, LABEL.state] },
  routingWebhookDuration: { kind: 'histogram', labels: [] },
  routingWebhookFallbacksTotal: { kind: 'counter', labels: [LABEL.reason] },
  numberCallsTotal: { kind: 'counter', labels: [LABEL.number, LABEL.disposition] },
  numberAnsweredCallsTotal: { kind: 'counter', labels: [LABEL.number] },
  numberBargedInCallsTotal: { kind: 'counter', labels: [LABEL.number] },
  numberTransfersTotal: { kind: 'counter', labels: [LABEL.number, LABEL.outcome] },
  numberTalkSeconds: { kind: 'histogram', labels: [LABEL.number] },
  numberTurnLatency: { kind: 'histogram', labels: [LABEL.number] },
  numberCallMos: { kind: 'histogram', labels: [LABEL.number] },
  storeQueuedOps: { kind: 'gauge', labels: [] },
  storeSpilledOps: { kind: 'gauge', labels: [] },
  storeAppliedTotal: { kind: 'counter', labels: [] },
  storeFailuresTotal: { kind: 'counter', labels: [] },
  storeDroppedTotal: { kind: 'counter', labels: [] },
  storeRejectedTotal: { kind: 'counter', labels: [] },
  storeDatabaseUp: { kind: 'gauge', labels: [] },
} as const satisfies Record<Exclude<keyof typeof METRIC, 'eventLoopLagPrefix'>, { kind: Kind; labels: readonly string[] }>;

/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];
/** Grafana's own variables. */
const GRAFANA_VARIABLES = new Set(['__rate_interval', '__interval', '__interval_ms', '__range', '__range_s', '__range_ms', '__from', '__to', '__all']);

/** Series name → the labels it may carry, or null when unknown (prom-client defaults: not checked). */
type Catalogue = Map<string, Set<string> | null>;

function patchbaySeries(): Catalogue {
  const out: Catalogue = new Map();
  for (const [key, shape] of Object.entries(SHAPES)) {
    const name = METRIC[key as keyof typeof SHAPES];
    const labels = [...shape.labels, ...TARGET_LABELS];
    if (shape.kind !== 'histogram') out.set(name, new Set(labels));
    else {
      out.set(`${name}_bucket`, new Set([...labels, 'le']));
      out.set(`${name}_sum`, new Set(labels));
      out.set(`${name}_count`, new Set(labels));
    }
  }
  return out;
}

async function defaultSeries(): Promise<Catalogue> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const out: Catalogue = new Map();
  for (const m of await registry.getMetricsAsJSON()) {
    const suffixes = String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    for (const suffix of suffixes) out.set(`${m.name}${suffix}`, null);
  }
  return out;
}

interface Dashboard {
  readonly file: string;
  readonly json: Json;
}

const dashboards: Dashboard[] = readdirSync(DASHBOARDS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const json = readJson(join(DASHBOARDS_DIR, file));
    if (!isRecord(json)) throw new Error(`${file}: not a JSON object`);
    return { file, json };
  });

/** Every panel, rows' nested panels included. */
function panelsOf(d: Json): Json[] {
  return records(d['panels']).flatMap((p) => [p, ...records(p['panels'])]);
}
const isDataPanel = (p: Json): boolean => p['type'] !== 'row' && p['type'] !== 'text';
const variablesOf = (d: Json): Json[] => records(record(d['templating'])['list']);

/** Each PromQL expression of a dashboard, with where it came from. */
function exprsOf(d: Json): { where: string; expr: string; label?: string }[] {
  const out: { where: string; expr: string; label?: string }[] = [];
  for (const p of panelsOf(d)) {
    for (const t of records(p['targets'])) out.push({ where: `panel "${str(p['title'])}" ${str(t['refId'])}`, expr: str(t['expr']) });
  }
  for (const v of variablesOf(d).filter((v) => v['type'] === 'query')) {
    const query = isRecord(v['query']) ? str(v['query']['query']) : str(v['query']);
    const { exprs, label } = variableQueryExprs(query);
    for (const expr of exprs) out.push({ where: `variable $${str(v['name'])}`, expr, ...(label === undefined ? {} : { label }) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Provisioning and compose, read once

const DOCKER = at('docker');
const compose = record(readYaml(join(DOCKER, 'compose.yaml')));
const services = record(compose['services']);
const service = (name: string): Json => record(services[name]);
const datasources = records(record(readYaml(at('observability/grafana/provisioning/datasources/patchbay.yaml')))['datasources']);
const providers = records(record(readYaml(at('observability/grafana/provisioning/dashboards/patchbay.yaml')))['providers']);
const promDatasource = datasources.find((d) => d['type'] === 'prometheus') ?? {};
const DS_REF = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = new Map([...(await defaultSeries()), ...patchbaySeries()]);
});

describe('the PromQL scanner', () => {
  it('finds metric names, matchers, grouping labels and variables, not functions or keywords', () => {
    const scan = scanPromQL(
      'histogram_quantile(0.95, sum by (le, hop) (rate(patchbay_hop_latency_seconds_bucket{hop=~"turn|stt", instance=~"$instance"}[$__rate_interval])))' +
        ' / on (instance) group_left sum without (job) (foo_total offset 1h30m) > bool 1e-3 and {__name__="bar", x!="y"}',
    );
    expect(scan.selectors.map((s) => s.metric)).toEqual(['patchbay_hop_latency_seconds_bucket', 'foo_total', 'bar']);
    expect(scan.selectors[0]?.matchers).toEqual([
      { label: 'hop', op: '=~', value: 'turn|stt' },
      { label: 'instance', op: '=~', value: '$instance' },
    ]);
    expect(scan.groupingLabels).toEqual(['le', 'hop', 'instance', 'job']);
    expect([...scan.variables].sort()).toEqual(['__rate_interval', 'instance']);
  });

  it('reads Grafana variable queries and refuses what it cannot tokenise', () => {
    expect(variableQueryExprs('label_values(patchbay_active_calls{job="a,b"}, instance)')).toEqual({ exprs: ['patchbay_active_calls{job="a,b"}'], label: 'instance' });
    expect(variableQueryExprs('label_values(instance)')).toEqual({ exprs: [] });
    expect(variableQueryExprs('query_result(sum(up))')).toEqual({ exprs: ['sum(up)'] });
    expect(() => scanPromQL('rate(x{hop="a"[5m])')).toThrow(PromQLScanError);
  });

  it('catches a misspelled metric (the dashboard check can fail)', () => {
    expect(unknownMetrics(scanPromQL('sum(patchbay_active_call) + rate(patchbay_calls_total[5m])').selectors)).toEqual(['patchbay_active_call']);
  });
});

function unknownMetrics(selectors: readonly Selector[]): string[] {
  return selectors.flatMap((s) => (s.metric === undefined || catalogue.has(s.metric) ? [] : [s.metric]));
}

/** Closed label sets names.ts defines: a dashboard may only match their values. */
const CLOSED_LABELS = new Map<string, readonly string[]>([
  [LABEL.hop, HOP_LABELS],
  [LABEL.direction, DIRECTION_LABELS],
]);

/** Literal values a selector matches `label` against (`a|b` alternations split; values with variables skipped). */
function labelValues(s: Selector, label: string): string[] {
  return s.matchers
    .filter((m) => m.label === label && !m.value.includes('$'))
    .flatMap((m) => {
      if (m.op === '=' || m.op === '!=') return [m.value];
      if (!/^[a-z_]+(\|[a-z_]+)*$/.test(m.value)) return [`<regex too complex to check: ${m.value}>`];
      return m.value.split('|');
    });
}

it('finds the four dashboards', () => {
  expect(dashboards.map((d) => d.file)).toEqual(['call-quality.json', 'hop-latency.json', 'overview.json', 'sip.json']);
});

it('gives every dashboard a distinct uid and title', () => {
  const uids = dashboards.map((d) => str(d.json['uid']));
  const titles = dashboards.map((d) => str(d.json['title']));
  expect(new Set(uids).size).toBe(dashboards.length);
  expect(new Set(titles).size).toBe(dashboards.length);
});

describe.each(dashboards)('$file', ({ json }) => {
  it('has a title, a uid Grafana accepts, the patchbay tag and panels with targets', () => {
    const problems: string[] = [];
    if (str(json['title']) === '') problems.push('no title');
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(str(json['uid']))) problems.push(`bad uid '${str(json['uid'])}'`);
    if (!strings(json['tags']).includes('patchbay')) problems.push('no patchbay tag');
    const panels = panelsOf(json);
    const ids = panels.map((p) => p['id']);
    if (new Set(ids).size !== ids.length) problems.push('duplicate panel ids');
    for (const p of panels) {
      const name = `panel "${str(p['title'])}"`;
      const grid = record(p['gridPos']);
      if (typeof grid['x'] !== 'number' || typeof grid['w'] !== 'number' || grid['x'] + grid['w'] > 24) problems.push(`${name}: gridPos outside 24 columns`);
      if (str(p['title']) === '') problems.push(`panel ${String(p['id'])}: no title`);
      if (p['type'] === 'row') continue;
      if (str(p['description']) === '') problems.push(`${name}: no description`);
      if (!isDataPanel(p)) continue;
      const targets = records(p['targets']);
      if (targets.length === 0) problems.push(`${name}: no targets`);
      if (targets.some((t) => str(t['expr']).trim() === '')) problems.push(`${name}: empty expr`);
      if (new Set(targets.map((t) => t['refId'])).size !== targets.length) problems.push(`${name}: duplicate refIds`);
      if (str(record(record(p['fieldConfig'])['defaults'])['unit']) === '') problems.push(`${name}: no unit`);
      if (p['type'] === 'heatmap') {
        if (record(p['options'])['calculate'] !== false) problems.push(`${name}: heatmap should use the buckets (calculate: false)`);
        for (const t of targets) {
          const scan = scanPromQL(str(t['expr']));
          if (t['format'] !== 'heatmap' || !scan.groupingLabels.includes('le') || !scan.selectors.some((s) => s.metric?.endsWith('_bucket'))) {
            problems.push(`${name}: a heatmap target needs format heatmap, a _bucket series and by (le)`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(panels.filter(isDataPanel).length).toBeGreaterThan(4);
  });

  it('reads Prometheus through ${DS_PROMETHEUS}, which defaults to the provisioned data source', () => {
    expect(str(promDatasource['uid'])).not.toBe('');
    const dsVar = variablesOf(json).find((v) => v['name'] === 'DS_PROMETHEUS') ?? {};
    expect(dsVar['type']).toBe('datasource');
    expect(dsVar['query']).toBe('prometheus');
    expect(record(dsVar['current'])['value']).toBe(promDatasource['uid']);
    const refs = [
      ...panelsOf(json).filter(isDataPanel).flatMap((p) => [p['datasource'], ...records(p['targets']).map((t) => t['datasource'])]),
      ...variablesOf(json).filter((v) => v['type'] === 'query').map((v) => v['datasource']),
    ];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toEqual(DS_REF);
  });

  it('queries only metrics and labels the gateway exports, and only defined variables', () => {
    const defined = new Set([...variablesOf(json).map((v) => str(v['name'])), ...GRAFANA_VARIABLES]);
    const allLabels = new Set([...[...catalogue.values()].flatMap((l) => (l === null ? [] : [...l]))]);
    const problems: string[] = [];
    const exprs = exprsOf(json);
    for (const { where, expr, label } of exprs) {
      const scan = scanPromQL(expr);
      if (scan.selectors.length === 0) problems.push(`${where}: no metric in '${expr}'`);
      for (const name of unknownMetrics(scan.selectors)) problems.push(`${where}: '${name}' is not exported`);
      for (const s of scan.selectors) {
        if (s.metric === undefined) problems.push(`${where}: a selector without a plain metric name cannot be checked`);
        const labels = s.metric === undefined ? null : catalogue.get(s.metric);
        for (const m of labels ? s.matchers : []) if (!labels?.has(m.label)) problems.push(`${where}: ${s.metric ?? ''} has no label '${m.label}'`);
        if (label !== undefined && labels && !labels.has(label)) problems.push(`${where}: ${s.metric ?? ''} has no label '${label}'`);
      }
      for (const l of scan.groupingLabels) if (!allLabels.has(l)) problems.push(`${where}: groups by unknown label '${l}'`);
      for (const v of scan.variables) if (!defined.has(v)) problems.push(`${where}: undefined variable $${v}`);
    }
    expect(problems).toEqual([]);
    expect(exprs.length).toBeGreaterThan(4);
  });

  it('uses only hop (and direction) values from HOP_LABELS (DIRECTION_LABELS)', () => {
    const selectors = exprsOf(json).flatMap(({ expr }) => scanPromQL(expr).selectors);
    for (const [label, allowed] of CLOSED_LABELS) {
      for (const value of selectors.flatMap((s) => labelValues(s, label))) expect(allowed, `${label}="${value}"`).toContain(value);
    }
    const hopVar = variablesOf(json).find((v) => v['name'] === LABEL.hop);
    if (hopVar !== undefined) expect(str(hopVar['query']).split(',').map((h) => h.trim())).toEqual([...HOP_LABELS]);
  });
});

it('plots every metric of names.ts somewhere, and turn latency by every agent stage', () => {
  const used = new Set(dashboards.flatMap((d) => exprsOf(d.json).flatMap(({ expr }) => scanPromQL(expr).selectors.map((s) => s.metric ?? ''))));
  const missing = Object.keys(SHAPES).filter((key) => {
    const name = METRIC[key as keyof typeof SHAPES];
    return ![name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((n) => used.has(n));
  });
  expect(missing).toEqual([]);
  expect([...used].some((n) => n.startsWith(METRIC.eventLoopLagPrefix))).toBe(true);
  const hops = new Set(dashboards.flatMap((d) => exprsOf(d.json).flatMap(({ expr }) => scanPromQL(expr).selectors.flatMap((s) => labelValues(s, LABEL.hop)))));
  for (const stage of ['turn', 'setup', 'stt', 'llm', 'tts', 'realtime']) expect(hops).toContain(stage);
});

// ---------------------------------------------------------------------------------------------------------------
// Provisioning, Prometheus, collector, compose

describe('the compose stack', () => {
  const gateway = service('patchbay');
  const env = record(gateway['environment']);
  const mounts = composeMounts(DOCKER, services);

  it('bind-mounts only files and folders that exist, and builds from the Dockerfile', () => {
    expect(mounts.length).toBeGreaterThanOrEqual(6);
    for (const m of mounts) expect(existsSync(m.source), `${m.service}: ${m.source}`).toBe(true);
    const build = record(gateway['build']);
    expect(existsSync(resolve(DOCKER, str(build['context']), str(build['dockerfile'])))).toBe(true);
  });

  it('provisions the dashboards folder and data sources that compose services serve', () => {
    const path = str(record(providers[0]?.['options'])['path']);
    const dashMount = mounts.find((m) => m.service === 'grafana' && m.target === path);
    expect(dashMount?.source).toBe(resolve(DASHBOARDS_DIR));
    const home = str(record(service('grafana')['environment'])['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']);
    expect(home.startsWith(`${path}/`) && existsSync(join(DASHBOARDS_DIR, home.slice(path.length + 1)))).toBe(true);
    for (const ds of datasources) expect(Object.keys(services)).toContain(new URL(str(ds['url'])).hostname);
    expect(new URL(str(promDatasource['url'])).hostname).toBe('prometheus');
  });

  it('has Prometheus scrape the gateway’s /metrics on its admin listener, bound beyond the container’s loopback', () => {
    const configMount = mounts.find((m) => m.service === 'patchbay' && m.target === str(env['PATCHBAY_CONFIG']));
    const config = record(readYaml(configMount?.source ?? ''));
    const admin = record(record(config['http'])['admin']);
    // The admin listener (docs/http.md): Prometheus, another container, reaches it only off the container's loopback.
    expect(admin['host']).toBe('0.0.0.0');
    const adminPort = Number(env['PATCHBAY_ADMIN_PORT'] ?? admin['port'] ?? 9464);
    const promMount = mounts.find((m) => m.service === 'prometheus' && m.target === '/etc/prometheus/prometheus.yml');
    const job = records(record(readYaml(promMount?.source ?? ''))['scrape_configs']).find((j) => j['job_name'] === 'patchbay') ?? {};
    expect(job['scrape_interval']).toBe('5s');
    expect(job['metrics_path'] ?? '/metrics').toBe('/metrics');
    expect(records(job['static_configs']).flatMap((c) => strings(c['targets']))).toEqual([`patchbay:${adminPort}`]);
    expect(composePorts(gateway)).toContainEqual({ host: [adminPort, adminPort], container: [adminPort, adminPort], protocol: 'tcp' });
  });

  it('publishes SIP and exactly the RTP range of the mounted patchbay.yaml, one to one', () => {
    const config = record(readYaml(join(DOCKER, 'patchbay.yaml')));
    const media = record(config['media']);
    const sipPort = Number(record(config['sip'])['port'] ?? 5060);
    const ports = composePorts(gateway);
    const range: [number, number] = [Number(media['portMin']), Number(media['portMax'])];
    expect(ports).toContainEqual({ host: range, container: range, protocol: 'udp' });
    expect(ports).toContainEqual({ host: [sipPort, sipPort], container: [sipPort, sipPort], protocol: 'udp' });
    expect(ports).toContainEqual({ host: [sipPort, sipPort], container: [sipPort, sipPort], protocol: 'tcp' });
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE .*\\b${range[0]}-${range[1]}/udp\\b`, 'm'));
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
    expect(dockerfile).toMatch(/^USER (?!root\b)\S+/m);
  });

  it('keeps call records in a volume the image’s user owns (PATCHBAY_DATA_DIR), named by compose', () => {
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    const dataDir = /^ENV PATCHBAY_DATA_DIR=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    const user = /^USER (\S+)$/m.exec(dockerfile)?.[1] ?? '';
    expect(dataDir).toMatch(/^\//);
    expect(dockerfile).toContain(`chown ${user}:${user} ${dataDir}`);
    expect(dockerfile).toMatch(new RegExp(`^VOLUME ${dataDir}$`, 'm'));
    const named = (Array.isArray(gateway['volumes']) ? gateway['volumes'] : []).filter((v): v is string => typeof v === 'string' && v.endsWith(`:${dataDir}`));
    expect(named).toHaveLength(1);
    expect(Object.keys(record(compose['volumes']))).toContain(named[0]?.split(':')[0]);
  });

  it('sends traces gateway → collector → the tracing backend Grafana reads', () => {
    expect(env['OTEL_SERVICE_NAME']).toBe('patchbay');
    const endpoint = new URL(str(env['OTEL_EXPORTER_OTLP_ENDPOINT']));
    const collectorMount = mounts.find((m) => m.service === endpoint.hostname && m.source.endsWith('otel-collector/config.yaml'));
    const collector = record(readYaml(collectorMount?.source ?? ''));
    const otlp = record(record(record(collector['receivers'])['otlp'])['protocols']);
    expect(portOf(str(record(otlp['http'])['endpoint']))).toBe(Number(endpoint.port));
    const pipeline = record(record(record(collector['service'])['pipelines'])['traces']);
    const exporters = strings(pipeline['exporters']);
    expect(exporters.length).toBeGreaterThan(0);
    const backends = exporters.map((e) => new URL(`http://${str(record(record(collector['exporters'])[e])['endpoint']).replace(/^\w+:\/\//, '')}`).hostname);
    const traceDs = datasources.find((d) => d['type'] === 'jaeger' || d['type'] === 'tempo') ?? {};
    expect(backends).toEqual([new URL(str(traceDs['url'])).hostname]);
    for (const host of backends) expect(Object.keys(services)).toContain(host);
  });
});
