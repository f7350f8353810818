/**
 * What the gateway says when it starts: which configuration it read, where each number goes, how to reach it, and
 * where call records are stored.
 * Pure text from the validated configuration, so it can be tested exactly. Agent URLs are shown without their query
 * string, fragment or credentials (a token is often passed there); adapter blocks by name and model only.
 */
import { DEFAULT_CONFIG_FILE, type Config, type ConfigSource, type NumberRouteConfig } from '../config.js';

export interface Route {
  /** The `numbers:` key as written. */
  readonly pattern: string;
  /** What a call to it reaches, e.g. `built-in demo agent`, `ws://bots.example.com/support`. */
  readonly target: string;
}

/** `Configuration: /abs/patchbay.yaml`, or that none was found and the embedded defaults are used. */
export function describeSource(source: ConfigSource): string {
  if (source.kind === 'defaults') return `no ${DEFAULT_CONFIG_FILE} in ${source.dir}: embedded defaults`;
  return source.via === 'PATCHBAY_CONFIG' ? `${source.path} (PATCHBAY_CONFIG)` : source.path;
}

/** Every route in the order written. */
export function routesOf(config: Config): Route[] {
  return Object.entries(config.numbers).map(([pattern, route]) => ({ pattern, target: describeTarget(route) }));
}

/** One line for the log: `3 routes: +15550100001 → built-in echo agent; * → ws://127.0.0.1:9000/bot`. */
export function routesSummary(config: Config): string {
  const routes = routesOf(config);
  if (routes.length === 0) return 'no routes: no number reaches an agent';
  const count = routes.length === 1 ? '1 route' : `${routes.length} routes`;
  return `${count}: ${routes.map((r) => `${r.pattern} → ${r.target}`).join('; ')}`;
}

export function describeTarget(route: NumberRouteConfig): string {
  const agent = route.agent;
  if (typeof agent === 'string') {
    if (!/^wss?:\/\//i.test(agent)) return `built-in ${agent} agent`;
    return route.protocol === 'twilio' ? `${safeUrl(agent)} (Twilio Media Streams)` : safeUrl(agent);
  }
  const model = agent['model'];
  return typeof model === 'string' && model !== '' ? `${agent.adapter} adapter (${model})` : `${agent.adapter} adapter`;
}

/** scheme://host[:port]/path: no user, password, query or fragment. */
export function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname === '/' && !text.endsWith('/') ? '' : url.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

export interface BannerInput {
  readonly config: Config;
  readonly source: ConfigSource;
  readonly sipPort: number;
  /** SIP over TLS, when `sip.tls` is set. */
  readonly tlsPort?: number;
  readonly httpPort: number;
  /** `https` with http.tls; default http. */
  readonly httpScheme?: 'http' | 'https';
  /** The admin listener (metrics, stats); null: none (http.admin: api); undefined: not said. */
  readonly admin?: { readonly host: string; readonly port: number } | null;
  /** What runs, e.g. `0.1.0 on Node v24.22.3` (main.ts); the banner's first line names it. */
  readonly runtime?: string;
  /** Where call records are stored: the engine, and the SQLite file or the PostgreSQL URL without its password. */
  readonly records?: { readonly engine: 'sqlite' | 'postgres'; readonly where: string };
}

/** The lines printed on stdout once the gateway listens. */
export function startBanner({ config, source, sipPort, tlsPort, httpPort, httpScheme = 'http', admin, runtime, records }: BannerInput): string {
  const transports = [config.sip.udp && 'udp', config.sip.tcp && 'tcp'].filter((t) => t !== false).join('/');
  const routes = routesOf(config);
  const width = Math.max(0, ...routes.map((r) => r.pattern.length));
  const lines = [
    `Patchbay ${runtime === undefined ? '' : `${runtime} `}is listening: SIP on ${transports} ${config.sip.host}:${sipPort}${tlsPort === undefined ? '' : `, SIP over TLS on ${config.sip.host}:${tlsPort}`}, HTTP on ${httpScheme}://${config.http.host}:${httpPort}/healthz`,
    `Configuration: ${describeSource(source)}`,
    routes.length === 0 ? 'Numbers: none (no number reaches an agent)' : 'Numbers (the longest match wins):',
    ...routes.map((r) => `  ${r.pattern.padEnd(width)}  → ${r.target}`),
  ];
  if (admin === null) lines.push(`Metrics and stats: ${httpScheme}://${dialHost(config.http.host)}:${httpPort}/metrics and /stats, for API callers only (http.admin: api)`);
  else if (admin !== undefined) lines.push(`Metrics and stats: http://${dialHost(admin.host)}:${admin.port}/metrics and /stats (admin listener, no key${isLoopbackHost(admin.host) ? '' : '; NOT loopback: keep it private'})`);
  const example = routes.find((r) => r.pattern === '*') ?? routes.find((r) => !r.pattern.endsWith('*'));
  if (example !== undefined) {
    const user = example.pattern === '*' ? 'anything' : example.pattern;
    lines.push(`Try it: call sip:${user}@${dialHost(config.sip.host)}:${sipPort} → ${example.target}`);
  }
  if (records !== undefined) {
    const engine = records.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    lines.push(`Call records: ${engine} at ${records.where}; list them with GET ${httpScheme}://${dialHost(config.http.host)}:${httpPort}/v1/calls`);
  }
  return `${lines.join('\n')}\n`;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host) || host === '::1';
}

/** Where a softphone on this machine reaches a gateway bound to `host`. */
function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
