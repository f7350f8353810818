/** The routing webhook's metrics: answer time and fallbacks by reason (the gateway calls `asked` once per ask). */
import { Counter, Histogram, type Registry } from 'prom-client';
import { LABEL, METRIC, ROUTING_FALLBACK_LABELS, type RoutingFallbackLabel } from './names.js';

/** Seconds: a webhook answers in tens of ms; the default timeout is 2 s (at most 30). */
export const ROUTING_WEBHOOK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] as const;

export interface RoutingWebhookMetrics {
  asked(seconds: number, fallback: RoutingFallbackLabel | undefined): void;
}

export function createRoutingWebhookMetrics(registry: Registry): RoutingWebhookMetrics {
  const registers = [registry];
  const duration = new Histogram({ name: METRIC.routingWebhookDuration, help: "Routing webhooks' answer time (or time to their timeout or failure), seconds.", buckets: [...ROUTING_WEBHOOK_BUCKETS], registers });
  const fallbacks = new Counter({ name: METRIC.routingWebhookFallbacksTotal, help: 'Calls the fallback route took because the routing webhook timed out, was unreachable, or answered badly.', labelNames: [LABEL.reason], registers });
  for (const reason of ROUTING_FALLBACK_LABELS) fallbacks.inc({ [LABEL.reason]: reason }, 0); // every series from the start
  return {
    asked(seconds, fallback) {
      duration.observe(seconds);
      if (fallback !== undefined) fallbacks.inc({ [LABEL.reason]: fallback });
    },
  };
}
