/**
 * The endpoints events go to: the global `webhooks.endpoints` (optionally limited to some numbers) and each
 * number's own `webhooks` (named `number:<pattern>`, `number:<pattern>#2`, ...). The global ones are resolved once
 * at start; the numbers' ones (none until the first `setNumbers`) follow the number book (YAML, `/v1/numbers`, SIGHUP): `setNumbers` rebuilds them into
 * a new list swapped in one assignment, reading each secret from the environment then (the numbers API and the
 * configuration checked it when the entry was made). `match` answers which endpoints take an event of a call whose
 * number matched `pattern`, in O(endpoints) with the pattern's identity cached.
 */
import { secretProblem, type NumberWebhookConfig, type WebhookEndpointConfig } from '../config-webhooks.js';
import type { Env } from '../config-secret.js';
import { parseNumberPattern, RoutingError, type NormalizeOptions } from '../routing/index.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.js';

export interface WebhookEndpoint {
  readonly name: string;
  readonly url: string;
  /** `whsec_…` (Standard Webhooks). */
  readonly secret: string;
  readonly events: ReadonlySet<WebhookEventType>;
  /** Pattern identities (`kind:key`) of the numbers it serves; undefined = every call. */
  readonly numbers: ReadonlySet<string> | undefined;
}

/** A number as far as webhooks care: its pattern as written and its optional `webhooks`. */
export interface NumberWebhooks {
  readonly pattern: string;
  readonly route: { readonly webhooks?: readonly NumberWebhookConfig[] | undefined };
}

export interface EndpointSources {
  readonly endpoints: readonly WebhookEndpointConfig[];
  readonly env: Env;
  readonly normalize?: NormalizeOptions;
}

/** Endpoints of numbers that went away (or changed URL), kept so deliveries already queued still go out. */
const MAX_RETIRED = 64;

export class WebhookEndpoints {
  readonly #global: readonly WebhookEndpoint[];
  #numbers: readonly WebhookEndpoint[] = [];
  /** What `all` returns: global, numbers', retired (rebuilt on every change). */
  #all: readonly WebhookEndpoint[] = [];
  #byName = new Map<string, WebhookEndpoint>();
  readonly #retired = new Map<string, WebhookEndpoint>();
  readonly #env: Env;
  readonly #normalize: NormalizeOptions;
  /** Pattern as written → identity (patterns are few: the configured numbers). */
  readonly #identities = new Map<string, string>();

  constructor(sources: EndpointSources) {
    this.#env = sources.env;
    this.#normalize = sources.normalize ?? {};
    this.#global = sources.endpoints.map((e) => ({
      name: e.name,
      url: e.url,
      secret: e.secret,
      events: new Set(e.events ?? WEBHOOK_EVENT_TYPES),
      numbers: e.numbers === undefined ? undefined : new Set(e.numbers.map((p) => this.identity(p))),
    }));
    this.setNumbers([]);
  }

  /** Every endpoint deliveries may be waiting for: the global ones, the numbers' ones, and recently retired ones. */
  get all(): readonly WebhookEndpoint[] {
    return this.#all;
  }

  /** Endpoints events can go to now (retired ones take no new events). */
  get active(): number {
    return this.#global.length + this.#numbers.length;
  }

  get(name: string): WebhookEndpoint | undefined {
    return this.#byName.get(name);
  }

  /**
   * The numbers' endpoints from the number book as it is now. A number's endpoint that went away is retired: it
   * takes no new event, but what was queued for it is still delivered (until the gateway restarts). One whose URL
   * or secret changed keeps its name: queued deliveries keep their URL and are signed with the new secret.
   * Returns the endpoints left out because their secret is not usable here (an entry another gateway sharing the
   * database added, whose environment differs), one line each.
   */
  setNumbers(numbers: Iterable<NumberWebhooks>): string[] {
    const next: WebhookEndpoint[] = [];
    const problems: string[] = [];
    for (const { pattern, route } of numbers) {
      (route.webhooks ?? []).forEach((hook, i) => {
        const name = `number:${pattern}${i === 0 ? '' : `#${i + 1}`}`;
        const secret = this.#env[hook.secretEnv];
        const problem = secretProblem(hook.secretEnv, secret);
        if (problem !== undefined || secret === undefined) {
          problems.push(`${name}: ${problem ?? 'no secret'}`);
          return;
        }
        next.push({
          name,
          url: hook.url,
          secret,
          events: new Set(hook.events ?? WEBHOOK_EVENT_TYPES),
          numbers: new Set([this.identity(pattern)]),
        });
      });
    }
    const names = new Set(next.map((e) => e.name));
    for (const old of this.#numbers) if (!names.has(old.name)) this.retire(old);
    for (const name of names) this.#retired.delete(name);
    this.#numbers = next;
    // Names never collide: global names have no ':' (config-webhooks.ts), a number's is unique per pattern.
    this.#all = [...this.#global, ...next, ...this.#retired.values()];
    this.#byName = new Map(this.#all.map((e) => [e.name, e]));
    return problems;
  }

  /** The endpoints taking `type` for a call whose number matched `pattern` (as written in `numbers:`). */
  match(type: WebhookEventType, pattern: string): WebhookEndpoint[] {
    let id: string | undefined;
    const out: WebhookEndpoint[] = [];
    for (const list of [this.#global, this.#numbers]) {
      for (const e of list) {
        if (!e.events.has(type)) continue;
        if (e.numbers !== undefined && !e.numbers.has((id ??= this.identity(pattern)))) continue;
        out.push(e);
      }
    }
    return out;
  }

  private retire(e: WebhookEndpoint): void {
    this.#retired.delete(e.name);
    this.#retired.set(e.name, e);
    if (this.#retired.size > MAX_RETIRED) {
      const oldest = this.#retired.keys().next();
      if (oldest.done !== true) this.#retired.delete(oldest.value);
    }
  }

  /** `kind:key` of a pattern (routing/number-pattern.ts), so `+1 555 0100` and `+15550100` are one number. */
  private identity(pattern: string): string {
    const cached = this.#identities.get(pattern);
    if (cached !== undefined) return cached;
    let id: string;
    try {
      const p = parseNumberPattern(pattern, this.#normalize);
      id = `${p.kind}:${p.key}`;
    } catch (err) {
      if (!(err instanceof RoutingError)) throw err;
      id = `invalid:${pattern}`;
    }
    if (this.#identities.size < 10_000) this.#identities.set(pattern, id);
    return id;
  }
}
