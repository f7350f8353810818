/**
 * Webhooks: call events to the configured endpoints, signed per Standard Webhooks, from a persisted outbox
 * (docs/webhooks.md). `startWebhooks` subscribes to the call lifecycle (`ringing`, `answered`, `transferred`) and to
 * finished records (`call.ended`), turns each into delivery rows through the store's write queue (O(endpoints) in
 * the emitting tick, no I/O), and runs the delivery worker. gateway.ts calls it once; the API reads `deliveries`.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallEvents } from '../call/events.js';
import { summarize } from '../call/registry.js';
import type { WebhooksConfig } from '../config-webhooks.js';
import type { NumberWebhookConfig } from '../config-webhooks.js';
import type { Env } from '../config-secret.js';
import type { CallRecordSource } from '../records/record.js';
import type { NormalizeOptions } from '../routing/index.js';
import type { Store } from '../store/types.js';
import { WebhookDeliveries } from './deliveries.js';
import { WebhookEndpoints, type NumberWebhooks } from './endpoints.js';
import { registerDeliveryApplier, WebhookOutbox } from './outbox.js';
import { WebhookSender, type PostLike } from './sender.js';
import { DeliveryWorker, type DeliveryWorkerStats } from './worker.js';

export { WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES, DELIVERY_STATUSES, ATTEMPT_ERRORS, type WebhookEventType, type WebhookEnvelope } from './events.js';
export type { NumberWebhooks } from './endpoints.js';
export { WebhookDeliveries, CursorError, type DeliveryView, type DeliveryDetail, type DeliveryFilter } from './deliveries.js';

/** The numbers routed by, live (the number book: YAML, `/v1/numbers`, SIGHUP): each change rebuilds their endpoints. */
export interface NumberWebhookSource {
  list(): readonly NumberWebhooks[];
  /** Calls `listener` after every change; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

export interface StartWebhooksOptions {
  readonly config: WebhooksConfig;
  /** The number book, or a fixed `config.numbers` (each route's optional `webhooks`). */
  readonly numbers: NumberWebhookSource | Readonly<Record<string, { readonly webhooks?: readonly NumberWebhookConfig[] | undefined }>>;
  /** Where per-number `secretEnv` names are read (validated where the entry is made: configuration, numbers API). */
  readonly env: Env;
  readonly store: Store;
  readonly events: CallEvents;
  /** Finished records for `call.ended`; without one, no `call.ended` is sent. */
  readonly records?: CallRecordSource | undefined;
  readonly normalize?: NormalizeOptions | undefined;
  readonly logger?: Logger | undefined;
  /** The lease owner's prefix (several gateways may share a database); a random suffix makes it unique per process. */
  readonly gatewayId?: string | undefined;
  /** Tests: the HTTP client (default node:http/https with keep-alive) and clocks. */
  readonly post?: PostLike | undefined;
  readonly now?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
}

export interface RunningWebhooks {
  readonly deliveries: WebhookDeliveries;
  readonly outbox: WebhookOutbox;
  stats(): DeliveryWorkerStats & { queued: number };
  /** Unsubscribes, stops the worker (POSTs in flight are aborted and handed back). Idempotent. */
  close(): Promise<void>;
}

export function startWebhooks(o: StartWebhooksOptions): RunningWebhooks {
  const numbers = o.numbers;
  const live = isSource(numbers) ? numbers : undefined;
  const endpoints = new WebhookEndpoints({ endpoints: o.config.endpoints, env: o.env, normalize: o.normalize ?? {} });
  const now = o.now ?? Date.now;
  const outbox = new WebhookOutbox({ writer: o.store.writer, endpoints, now });
  const sender = new WebhookSender(o.config.timeoutMs, o.post);
  const worker = new DeliveryWorker({
    db: o.store.db,
    dialect: o.store.dialect,
    endpoints,
    sender,
    timeoutMs: o.config.timeoutMs,
    maxConcurrentPerEndpoint: o.config.maxConcurrentPerEndpoint,
    retry: o.config.retry,
    pollIntervalMs: o.config.pollIntervalMs,
    owner: `${o.gatewayId ?? 'gateway'}:${randomBytes(6).toString('hex')}`,
    logger: o.logger,
    now,
    random: o.random,
  });
  // A row is readable once its transaction commits, just after the applier returns: wake now (SQLite's one
  // connection runs the claim after the commit) and, PostgreSQL, once more shortly after (a pool's other connection
  // may not). One late wake pending at a time, however many rows a batch applied. SQLite needs none: on its one
  // connection the late claim found nothing, one worker round trip per applied batch for nothing.
  let lateWake: NodeJS.Timeout | undefined;
  const lateWakeNeeded = o.store.dialect === 'postgres';
  registerDeliveryApplier(o.store.writer, () => {
    worker.wake();
    if (!lateWakeNeeded) return;
    lateWake ??= setTimeout(() => {
      lateWake = undefined;
      worker.wake();
    }, 50).unref();
  });
  const deliveries = new WebhookDeliveries(o.store.db, () => worker.wake(), now);

  const unsubscribe: (() => void)[] = [];
  const setNumbers = (list: readonly NumberWebhooks[]): void => {
    for (const problem of endpoints.setNumbers(list)) o.logger?.error({ problem }, "a number's webhook endpoint is left out: its secret is not usable here");
  };
  setNumbers(isSource(numbers) ? numbers.list() : Object.entries(numbers).map(([pattern, route]) => ({ pattern, route })));
  if (live !== undefined) unsubscribe.push(live.onChange(() => setNumbers(live.list())));
  // Subscribed whenever endpoints may come (a number added at runtime); with none, each event costs one comparison.
  if (live !== undefined || endpoints.active > 0) {
    const callEvent = (type: 'call.ringing' | 'call.answered' | 'call.transferred', e: { call: Parameters<typeof summarize>[0] }, atMs: number | undefined): void => {
      if (endpoints.active === 0) return;
      const { call } = e;
      outbox.publish(type, { pattern: call.plan.pattern, callId: call.id, eventKey: `${call.id}:${type}`, atMs: atMs ?? now(), data: summarize(call) });
    };
    unsubscribe.push(
      o.events.on('ringing', (e) => callEvent('call.ringing', e, e.call.times.ringingAt)),
      o.events.on('answered', (e) => callEvent('call.answered', e, e.call.times.answeredAt)),
      o.events.on('transferred', (e) => callEvent('call.transferred', e, undefined)),
    );
    if (o.records !== undefined) {
      unsubscribe.push(
        o.records.onRecord((detail) => {
          if (endpoints.active === 0) return;
          const atMs = detail.endedAt === null ? now() : Date.parse(detail.endedAt);
          outbox.publish('call.ended', { pattern: detail.number, callId: detail.id, eventKey: `${detail.id}:call.ended`, atMs, data: detail });
        }),
      );
    }
  }
  worker.start(); // also delivers what an earlier run left pending

  let closing: Promise<void> | undefined;
  return {
    deliveries,
    outbox,
    stats: () => ({ ...worker.stats, queued: outbox.queued }),
    close: () =>
      (closing ??= (async () => {
        for (const u of unsubscribe) u();
        clearTimeout(lateWake);
        await worker.close();
        sender.close();
      })()),
  };
}

function isSource(n: StartWebhooksOptions['numbers']): n is NumberWebhookSource {
  return 'onChange' in n && typeof n.onChange === 'function' && 'list' in n && typeof n.list === 'function';
}
