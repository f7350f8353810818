/**
 * The endpoints events go to: the global `webhooks.endpoints` (optionally limited to some numbers) and each
 * number's own `numbers.<pattern>.webhooks` (named `number:<pattern>`, `number:<pattern>#2`, ...). Resolved once at
 * start into plain data with their secrets; `match` answers which endpoints take an event of a call whose number
 * matched `pattern`, in O(endpoints) with the pattern's identity cached.
 */
import type { WebhookEndpointConfig } from '../config-webhooks.js';
import type { NumberWebhookConfig } from '../config-webhooks.js';
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

export interface EndpointSources {
  readonly endpoints: readonly WebhookEndpointConfig[];
  /** `config.numbers`: each route's optional `webhooks`. */
  readonly numbers: Readonly<Record<string, { readonly webhooks?: readonly NumberWebhookConfig[] | undefined }>>;
  readonly env: Env;
  readonly normalize?: NormalizeOptions;
}

export class WebhookEndpoints {
  readonly all: readonly WebhookEndpoint[];
  readonly #byName = new Map<string, WebhookEndpoint>();
  readonly #normalize: NormalizeOptions;
  /** Pattern as written → identity (patterns are few: the configured numbers). */
  readonly #identities = new Map<string, string>();

  constructor(sources: EndpointSources) {
    this.#normalize = sources.normalize ?? {};
    const list: WebhookEndpoint[] = sources.endpoints.map((e) => ({
      name: e.name,
      url: e.url,
      secret: e.secret,
      events: new Set(e.events ?? WEBHOOK_EVENT_TYPES),
      numbers: e.numbers === undefined ? undefined : new Set(e.numbers.map((p) => this.identity(p))),
    }));
    for (const [pattern, route] of Object.entries(sources.numbers)) {
      (route.webhooks ?? []).forEach((hook, i) => {
        list.push({
          name: `number:${pattern}${i === 0 ? '' : `#${i + 1}`}`,
          url: hook.url,
          secret: sources.env[hook.secretEnv] ?? '',
          events: new Set(hook.events ?? WEBHOOK_EVENT_TYPES),
          numbers: new Set([this.identity(pattern)]),
        });
      });
    }
    this.all = list;
    for (const e of list) this.#byName.set(e.name, e);
  }

  get(name: string): WebhookEndpoint | undefined {
    return this.#byName.get(name);
  }

  /** The endpoints taking `type` for a call whose number matched `pattern` (as written in `numbers:`). */
  match(type: WebhookEventType, pattern: string): WebhookEndpoint[] {
    let id: string | undefined;
    const out: WebhookEndpoint[] = [];
    for (const e of this.all) {
      if (!e.events.has(type)) continue;
      if (e.numbers !== undefined && !e.numbers.has((id ??= this.identity(pattern)))) continue;
      out.push(e);
    }
    return out;
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
