/**
 * Per-call routing for `webhook:` numbers (call/per-call-routing.ts): asks the number's webhook (client.ts) and turns
 * what came back into the call's route, refusal, or the number's own route as the fallback, each with the
 * RoutingDecision recorded on the call. An adapter block in an answer is built where the media runs first (once per
 * distinct block); one that cannot be built is a bad answer. Never throws.
 */
import type { Logger } from 'pino';
import type { Admission } from '../call/admission.js';
import type { PerCallDecision, PerCallRouting } from '../call/per-call-routing.js';
import type { AdapterBlock } from '../media-plane/plane.js';
import type { RoutingDecision } from '../records/record.js';
import { formatPath } from '@patchbay/adapter-kit';
import { forwardTrunkProblems } from '../forwarding/config.js';
import { reasonPhrase } from '../sip/response.js';
import { askRoutingWebhook, redactUrl, type FallbackReason } from './client.js';

/** What is observed per ask (routing-webhook/metrics.ts feeds Prometheus). */
export interface RoutingWebhookObserver {
  /** Every finished ask (not cancelled), seconds, and whether the fallback took the call. */
  asked(seconds: number, fallback: FallbackReason | undefined): void;
}

export interface RoutingWebhooksOptions {
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Builds an answered adapter block where the media runs (numbers/ NumberService.webhookAdapter). */
  adapters?: { webhookAdapter(spec: AdapterBlock): Promise<{ key: string } | { issues: string[] }> };
  /** Trunks with an outbound side: an answer's `forward:` may name only these (else it is a bad answer). */
  outboundTrunks?: ReadonlySet<string>;
  observer?: RoutingWebhookObserver;
  fetch?: typeof fetch;
}

export class RoutingWebhooks implements PerCallRouting {
  constructor(private readonly options: RoutingWebhooksOptions) {}

  async decide(input: { readonly callId: string; readonly admission: Admission }, signal: AbortSignal): Promise<PerCallDecision> {
    const { admission, callId } = input;
    const webhook = admission.route.webhook;
    const own = { kind: 'route', route: admission.route, adapterKey: admission.adapterKey } as const;
    if (webhook === undefined) return { ...own, routing: { source: admission.source, action: 'agent' } };
    const url = redactUrl(webhook.url);
    const log = this.options.logger.child({ callId });
    const fallback = (reason: FallbackReason, detail: string, ms: number): PerCallDecision => {
      this.options.observer?.asked(ms / 1000, reason);
      log.warn({ url, reason, detail, ms }, 'routing webhook failed: the fallback route takes the call');
      return { ...own, routing: { source: 'fallback', url, ms, fallbackReason: reason, action: 'agent' } };
    };
    const secret = webhook.secretEnv === undefined ? undefined : this.options.env[webhook.secretEnv];
    const outcome = await askRoutingWebhook({
      webhook,
      secret,
      signal,
      ownAgent: admission.route.agent,
      request: {
        type: 'call.routing',
        callId,
        direction: 'inbound',
        from: admission.from,
        to: admission.number,
        number: admission.pattern,
        trunk: admission.trunk ?? null,
        timestamp: new Date().toISOString(),
      },
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
    if (outcome.kind === 'cancelled') return { kind: 'cancelled' };
    if (outcome.kind === 'fallback') return fallback(outcome.reason, outcome.detail, outcome.ms);
    const { answer, ms } = outcome;
    if (answer.kind === 'reject') {
      this.options.observer?.asked(ms / 1000, undefined);
      const routing: RoutingDecision = { source: 'webhook', url, ms, action: 'reject', status: answer.status };
      return { kind: 'reject', status: answer.status, reason: answer.reason ?? reasonPhrase(answer.status), routing };
    }
    const forward = answer.route.forward;
    if (forward !== undefined) {
      const problems = forwardTrunkProblems(forward, this.options.outboundTrunks ?? new Set());
      if (problems.length > 0) return fallback('bad_response', problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('; '), ms);
    }
    let adapterKey: string | undefined = answer.ownAgent ? admission.adapterKey : undefined;
    const agent = answer.route.agent;
    if (!answer.ownAgent && typeof agent !== 'string' && agent.adapter !== 'websocket') {
      const built = this.options.adapters ? await this.options.adapters.webhookAdapter(agent) : { issues: ['adapter blocks are not available here'] };
      if ('issues' in built) return fallback('bad_response', built.issues.join('; '), ms);
      adapterKey = built.key;
    }
    if (signal.aborted) return { kind: 'cancelled' };
    this.options.observer?.asked(ms / 1000, undefined);
    return { kind: 'route', route: answer.route, adapterKey, routing: { source: 'webhook', url, ms, action: forward?.when === 'first' ? 'forward' : 'agent' } };
  }
}
