import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Admission } from '../call/admission.js';
import { numberRoute } from '../config-numbers.js';
import { RoutingWebhooks } from './routing-webhooks.js';

const URL = 'http://router.test/route';

/** A `webhook:` number whose own agent is an adapter, and a router answering `answer` (JSON). */
function setup(answer: unknown) {
  const asked: unknown[] = [];
  const routing = new RoutingWebhooks({
    env: {},
    logger: pino({ level: 'silent' }),
    outboundTrunks: new Set(['people']),
    adapters: { webhookAdapter: async () => ({ key: 'built-1' }) },
    fetch: (async (_url: string, init: RequestInit) => {
      asked.push(JSON.parse(String(init.body)));
      return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  });
  const route = numberRoute.parse({ agent: { adapter: 'openai-realtime', model: 'm' }, webhook: { url: URL } });
  const admission = { number: '+15550100010', from: '+15550199999', route, pattern: '+15550100010', source: 'config', adapterKey: 'own-key' } as Admission;
  return { decide: () => routing.decide({ callId: 'c1', admission }, new AbortController().signal), asked };
}

describe('RoutingWebhooks', () => {
  it('an answer that forwards without naming an agent: people ring first, then the number\'s own agent (its adapter, not rebuilt)', async () => {
    const t = setup({ forward: { to: ['+15551230001'], trunk: 'people', onPersonHangup: 'agent' } });
    const decision = await t.decide();
    expect(decision).toMatchObject({
      kind: 'route',
      adapterKey: 'own-key',
      route: { agent: { adapter: 'openai-realtime', model: 'm' }, forward: { to: ['+15551230001'], trunk: 'people', strategy: 'sequential', when: 'first', onPersonHangup: 'agent' } },
      routing: { source: 'webhook', action: 'forward' },
    });
    expect(t.asked).toMatchObject([{ type: 'call.routing', callId: 'c1', to: '+15550100010' }]);
  });

  it('an answer with its own agent and a failover forward: that agent (built), action agent', async () => {
    const decision = await setup({ agent: { adapter: 'pipeline' }, forward: { to: ['+15551230001'], trunk: 'people', when: 'agent-unavailable' } }).decide();
    expect(decision).toMatchObject({ kind: 'route', adapterKey: 'built-1', route: { agent: { adapter: 'pipeline' }, forward: { when: 'agent-unavailable' } }, routing: { action: 'agent' } });
  });

  it('a forward through a trunk with no outbound side, a bad forward, or voicemail (not yet): the fallback, bad_response', async () => {
    for (const answer of [
      { forward: { to: ['+15551230001'], trunk: 'carrier' } },
      { forward: { to: [], trunk: 'people' } },
      { forward: { to: ['+15551230001'], trunk: 'people', onPersonHangup: 'voicemail' } },
      { voicemail: { greeting: 'hi' } },
    ]) {
      const decision = await setup(answer).decide();
      expect(decision, JSON.stringify(answer)).toMatchObject({ kind: 'route', adapterKey: 'own-key', routing: { source: 'fallback', fallbackReason: 'bad_response', action: 'agent' } });
      if (decision.kind === 'route') expect(decision.route.forward).toBeUndefined();
    }
  });
});
