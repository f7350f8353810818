/**
 * Numbers at runtime: the number book (number-book.ts) fed by patchbay.yaml (at start and on reload) and by the
 * `numbers` table (the numbers API writes it; every gateway sharing the database polls it), with the adapter agents
 * the entries name built where the media runs before an entry becomes routable. Changes are serialised; each one
 * validates first (the same schema as `numbers:`, then pattern, secret, adapter checks) and changes nothing when
 * anything is wrong. Admission reads the book in memory and never waits on any of this.
 */
import { forwardTrunkProblems } from '../forwarding/config.js';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { buildAdapter } from '../agent/adapters.js';
import { secretProblem } from '../config-webhooks.js';
import { formatPath, numberPatternIssues, numberRoute, type Config, type NumberRouteConfig } from '../config.js';
import type { AdapterBlock, RuntimeAdapters } from '../media-plane/plane.js';
import type { Store } from '../store/types.js';
import { NumberBook, patternId, type BookEntry } from './number-book.js';
import { deleteNumberRow, listNumberRows, numbersSignature, putNumberRow, type NumberRow } from './number-rows.js';
import { NumbersError, type NumberIssue } from './errors.js';

export const DEFAULT_NUMBERS_POLL_MS = 3000;
/** Distinct adapter blocks routing webhooks may name (each is an agent kept in every media worker). */
export const MAX_WEBHOOK_ADAPTERS = 64;

export interface NumberServiceOptions {
  /** `numbers:` as loaded at start (their adapters were built by pattern at start-up: loadAdapters). */
  numbers: Config['numbers'];
  defaultCountryCode: string | null;
  /** Runtime entries live here; absent, the book is YAML only and writes are refused (NUMBERS_UNAVAILABLE). */
  store?: Pick<Store, 'db'> | undefined;
  /** Where the media runs: adapters named at runtime are added there. */
  adapters: RuntimeAdapters;
  /** Where secrets are read (`apiKeyEnv`, `webhook.secretEnv`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Whether the Silero model is loaded (a number asking `speech.confirm: silero` needs it). */
  sileroLoaded: boolean;
  /** Trunks with an outbound side: a runtime number's `forward:` may name only these. */
  outboundTrunks?: ReadonlySet<string> | undefined;
  logger: Logger;
  /** How often the table is checked for other gateways' changes; 0: never. */
  pollMs?: number;
  now?: () => number;
}

/** One entry as the API shows it. */
export interface NumberView {
  pattern: string;
  source: 'config' | 'api';
  readOnly: boolean;
  route: NumberRouteConfig;
  createdAt: string | null;
  updatedAt: string | null;
  version: number | null;
}

export class NumberService {
  readonly book: NumberBook;
  private readonly normalize: { defaultCountryCode?: string };
  /** Adapter keys added to the media plane for book entries, and for webhook answers. */
  private readonly installed = new Map<string, AdapterBlock>();
  private readonly webhookKeys = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private startupNumbers: Config['numbers'];

  constructor(private readonly options: NumberServiceOptions) {
    this.normalize = options.defaultCountryCode ? { defaultCountryCode: options.defaultCountryCode } : {};
    this.book = new NumberBook(this.normalize);
    this.startupNumbers = options.numbers;
    this.book.replace(this.configEntries(options.numbers), []);
  }

  /** Loads the stored entries and starts polling. */
  async start(): Promise<void> {
    await this.serial(() => this.reloadRows());
    const pollMs = this.options.pollMs ?? DEFAULT_NUMBERS_POLL_MS;
    if (this.options.store && pollMs > 0) {
      this.timer = setInterval(() => void this.refresh(), pollMs);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  list(): NumberView[] {
    return this.book.list().map(view);
  }

  get(pattern: string): NumberView {
    const entry = this.findValid(pattern);
    if (entry === undefined) throw new NumbersError('NUMBER_NOT_FOUND', `no number '${pattern}'`);
    return view(entry);
  }

  /** Creates or replaces the runtime entry for `pattern`. */
  put(pattern: string, body: unknown): Promise<{ number: NumberView; created: boolean }> {
    return this.serial(async () => {
      const db = this.db();
      const route = await this.validate(pattern, body);
      const id = patternId(pattern, this.normalize);
      const adapterKey = await this.install(route);
      const { row, created } = await putNumberRow(db, { id, pattern, route, now: (this.options.now ?? Date.now)() });
      await this.reloadRows();
      this.options.logger.info({ pattern, version: row.version, created }, created ? 'number added' : 'number changed');
      const entry = this.book.find(pattern);
      return { number: view(entry ?? { pattern, route, source: 'api', adapterKey, version: row.version }), created };
    });
  }

  remove(pattern: string): Promise<void> {
    return this.serial(async () => {
      const db = this.db();
      const entry = this.findValid(pattern);
      if (entry?.source === 'config') throw readOnly(entry.pattern);
      if (entry === undefined || !(await deleteNumberRow(db, patternId(pattern, this.normalize)))) {
        throw new NumbersError('NUMBER_NOT_FOUND', `no number '${pattern}'`);
      }
      await this.reloadRows();
      this.options.logger.info({ pattern }, 'number removed');
    });
  }

  /**
   * The YAML's new `numbers:` (SIGHUP): their adapters and secrets checked, then swapped in with the runtime entries.
   * Returns every problem, one line each with its path; with any, nothing changed.
   */
  reloadConfig(numbers: Config['numbers']): Promise<string[]> {
    return this.serial(async () => {
      const problems: string[] = [];
      for (const [pattern, route] of Object.entries(numbers)) {
        const same = isDeepStrictEqual(this.startupNumbers[pattern]?.agent, route.agent);
        const issues = await this.routeIssues(route, same);
        for (const i of issues) problems.push(`${formatPath(['numbers', pattern, ...i.path])}: ${i.message}`);
      }
      if (problems.length > 0) return problems;
      const entries = this.configEntries(numbers);
      for (const e of entries) if (e.adapterKey !== undefined) await this.install(e.route);
      const shadowed = this.book.replace(entries, this.book.runtime.concat(this.book.shadowed));
      for (const s of shadowed) this.options.logger.warn({ pattern: s.pattern }, 'a numbers: entry of patchbay.yaml hides the runtime entry with the same pattern');
      this.retireAdapters();
      return [];
    });
  }

  /**
   * The adapter agent for an adapter block a routing webhook answered: built (once per distinct block) where the
   * media runs; its key, or the problems.
   */
  async webhookAdapter(spec: AdapterBlock): Promise<{ key: string } | { issues: string[] }> {
    const key = adapterKey(spec);
    if (this.installed.has(key)) return { key };
    if (this.webhookKeys.size >= MAX_WEBHOOK_ADAPTERS) return { issues: [`at most ${MAX_WEBHOOK_ADAPTERS} distinct adapter blocks from routing webhooks`] };
    const built = await buildAdapter(spec, ['agent'], this.options.env, this.options.logger);
    if (built.issues.length > 0) return { issues: built.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`) };
    await this.options.adapters.addAdapter(key, spec);
    this.installed.set(key, spec);
    this.webhookKeys.add(key);
    return { key };
  }

  // -------------------------------------------------------------------------------------------------------------

  /** Re-reads the table if it changed since the last read (what the poll does every `pollMs`); never throws. */
  async refresh(): Promise<void> {
    if (this.closed || !this.options.store) return;
    try {
      const now = await numbersSignature(this.options.store.db);
      if (now !== this.signature) await this.serial(() => this.reloadRows());
    } catch (err) {
      this.options.logger.warn({ err }, 'reading the numbers table failed (the running numbers stay)');
    }
  }

  private db(): NonNullable<NumberServiceOptions['store']>['db'] {
    const store = this.options.store;
    if (store === undefined) throw new NumbersError('NUMBERS_UNAVAILABLE', 'no database: runtime numbers cannot be stored');
    return store.db;
  }

  /** Runs `fn` after every change before it: one change at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private findValid(pattern: string): BookEntry | undefined {
    try {
      return this.book.find(pattern);
    } catch {
      return undefined; // not a valid pattern: no such number
    }
  }

  /** The API's body as a route for `pattern`, or NumbersError listing every problem. */
  private async validate(pattern: string, body: unknown): Promise<NumberRouteConfig> {
    const patternIssues = numberPatternIssues([pattern], this.options.defaultCountryCode ?? undefined);
    if (patternIssues.length > 0) throw invalid(patternIssues.map((i) => ({ path: ['pattern'], message: i.message })));
    const existing = this.findValid(pattern);
    if (existing?.source === 'config') throw readOnly(existing.pattern);
    const parsed = numberRoute.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ path: i.path, message: i.message })));
    const issues = await this.routeIssues(parsed.data, false);
    if (issues.length > 0) throw invalid(issues);
    return parsed.data;
  }

  /** What the schema cannot see: the webhooks' secrets, Silero, and the adapter's own options and secrets. */
  private async routeIssues(route: NumberRouteConfig, builtAtStart: boolean): Promise<NumberIssue[]> {
    const issues: NumberIssue[] = [];
    const secretEnv = route.webhook?.secretEnv;
    if (secretEnv !== undefined && !this.options.env[secretEnv]) issues.push({ path: ['webhook', 'secretEnv'], message: `environment variable ${secretEnv} is not set` });
    (route.webhooks ?? []).forEach((hook, i) => {
      const problem = secretProblem(hook.secretEnv, this.options.env[hook.secretEnv]);
      if (problem !== undefined) issues.push({ path: ['webhooks', i, 'secretEnv'], message: problem });
    });
    if (route.speech?.confirm === 'silero' && !this.options.sileroLoaded) {
      issues.push({ path: ['speech', 'confirm'], message: 'silero was not loaded at start (no number asked for it then): restart the gateway' });
    }
    if (route.forward !== undefined) issues.push(...forwardTrunkProblems(route.forward, this.options.outboundTrunks ?? new Set()));
    if (typeof route.agent !== 'string' && !builtAtStart) {
      const built = await buildAdapter(route.agent, ['agent'], this.options.env, this.options.logger);
      issues.push(...built.issues);
    }
    return issues;
  }

  /** Adds the route's adapter agent where the media runs (once per distinct block); its key. */
  private async install(route: NumberRouteConfig): Promise<string | undefined> {
    const spec = route.agent;
    if (typeof spec === 'string' || spec.adapter === 'websocket') return undefined;
    const key = adapterKey(spec);
    if (!this.installed.has(key)) {
      await this.options.adapters.addAdapter(key, spec);
      this.installed.set(key, spec);
    }
    return key;
  }

  /** Reads every row and swaps the book; rows that no longer validate (or whose adapter cannot be built here) are skipped, logged. */
  private async reloadRows(): Promise<void> {
    const store = this.options.store;
    if (store === undefined) return;
    const signature = await numbersSignature(store.db);
    const rows = await listNumberRows(store.db);
    const runtime: BookEntry[] = [];
    for (const row of rows) {
      const entry = await this.rowEntry(row);
      if (entry !== undefined) runtime.push(entry);
    }
    this.book.replace(this.book.config, runtime);
    this.signature = signature;
    this.retireAdapters();
  }

  private async rowEntry(row: NumberRow): Promise<BookEntry | undefined> {
    const log = this.options.logger;
    let parsed;
    try {
      parsed = numberRoute.safeParse(JSON.parse(row.route_json));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      log.error({ pattern: row.pattern }, 'stored number is not a valid route: skipped');
      return undefined;
    }
    try {
      const adapterKey = await this.install(parsed.data);
      return { pattern: row.pattern, route: parsed.data, source: 'api', adapterKey, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at), version: Number(row.version) };
    } catch (err) {
      log.error({ err, pattern: row.pattern }, "stored number's adapter cannot be built here: skipped");
      return undefined;
    }
  }

  /** `numbers:` as book entries: an entry whose adapter block changed since start gets a runtime key. */
  private configEntries(numbers: Config['numbers']): BookEntry[] {
    return Object.entries(numbers).map(([pattern, route]) => {
      const spec = route.agent;
      const fromStart = isDeepStrictEqual(this.startupNumbers[pattern]?.agent, spec);
      const key = typeof spec === 'string' || spec.adapter === 'websocket' || fromStart ? undefined : adapterKey(spec);
      return { pattern, route, source: 'config', adapterKey: key };
    });
  }

  /** Removes adapters no entry names any more (live calls took theirs when they opened). */
  private retireAdapters(): void {
    const wanted = new Set(this.book.list().map((e) => e.adapterKey).filter((k) => k !== undefined));
    for (const key of this.installed.keys()) {
      if (wanted.has(key) || this.webhookKeys.has(key)) continue;
      this.installed.delete(key);
      this.options.adapters.removeAdapter(key);
    }
  }
}

/** An adapter block's key: its name and a digest of its options (the same block, one agent). */
export function adapterKey(spec: AdapterBlock): string {
  return `${spec.adapter}#${createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 16)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function view(e: BookEntry): NumberView {
  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
  return { pattern: e.pattern, source: e.source, readOnly: e.source === 'config', route: e.route, createdAt: iso(e.createdAt), updatedAt: iso(e.updatedAt), version: e.version ?? null };
}

function invalid(issues: readonly NumberIssue[]): NumbersError {
  return new NumbersError('NUMBER_INVALID', issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; '), issues);
}

function readOnly(pattern: string): NumbersError {
  return new NumbersError('NUMBER_READ_ONLY', `'${pattern}' is a numbers: entry of patchbay.yaml: change it there (and send SIGHUP)`);
}
