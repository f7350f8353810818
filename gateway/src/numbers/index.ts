/**
 * Numbers at runtime and per-call routing, started in one call from gateway.ts: the number service (YAML + the
 * `numbers` table, polled) that admission routes by, and the routing webhooks of `webhook:` numbers.
 */
import type { GatewayMetrics } from '@patchbay/observability';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import type { RuntimeAdapters } from '../media-plane/plane.js';
import { RoutingWebhooks } from '../routing-webhook/routing-webhooks.js';
import type { Store } from '../store/types.js';
import { NumberService } from './number-service.js';

export { NumberService, type NumberView } from './number-service.js';
export { NumbersError, NUMBERS_ERROR_CODES, type NumbersErrorCode } from './errors.js';

export interface StartNumbersOptions {
  config: Config;
  store?: Pick<Store, 'db'> | undefined;
  adapters: RuntimeAdapters;
  env: Readonly<Record<string, string | undefined>>;
  sileroLoaded: boolean;
  logger: Logger;
  metrics?: Pick<GatewayMetrics, 'observeRoutingWebhook'>;
  pollMs?: number;
}

export interface RunningNumbers {
  readonly service: NumberService;
  readonly routing: RoutingWebhooks;
  close(): void;
}

/** @throws ConfigError when a `webhook:` number names a secret that is not set. */
export async function startNumbers(o: StartNumbersOptions): Promise<RunningNumbers> {
  const issues = Object.entries(o.config.numbers).flatMap(([pattern, route]) => {
    const env = route.webhook?.secretEnv;
    return env !== undefined && !o.env[env] ? [`numbers.${JSON.stringify(pattern)}.webhook.secretEnv: environment variable ${env} is not set`] : [];
  });
  if (issues.length > 0) throw new ConfigError(issues, 'numbers');
  const logger = o.logger.child({ layer: 'numbers' });
  /** A `forward:` (a runtime number's, or a routing webhook's answer's) may name only these trunks. */
  const outboundTrunks = new Set(o.config.trunks.filter((t) => t.outbound !== undefined).map((t) => t.name));
  const service = new NumberService({
    numbers: o.config.numbers,
    defaultCountryCode: o.config.sip.defaultCountryCode,
    store: o.store,
    adapters: o.adapters,
    env: o.env,
    sileroLoaded: o.sileroLoaded,
    outboundTrunks,
    logger,
    ...(o.pollMs === undefined ? {} : { pollMs: o.pollMs }),
  });
  await service.start();
  const metrics = o.metrics;
  const routing = new RoutingWebhooks({
    env: o.env,
    outboundTrunks,
    logger: o.logger.child({ layer: 'routing-webhook' }),
    adapters: service,
    ...(metrics ? { observer: { asked: (s, fallback) => metrics.observeRoutingWebhook(s, fallback) } } : {}),
  });
  return { service, routing, close: () => service.close() };
}
