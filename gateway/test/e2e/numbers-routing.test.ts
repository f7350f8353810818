/**
 * Numbers at runtime and routing webhooks, end to end: `/v1/numbers` over HTTP against a gateway with a real
 * (in-memory SQLite) store, then real SIP calls routed by what was just stored, without a restart; and `webhook:`
 * numbers against a local webhook server that answers an agent, a refusal, slowly, badly, or not at all (a closed
 * port), with the caller's 180 timed, the fallback agent's audio heard, and a CANCEL (SIPp) while the webhook waits.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/call/events.js';
import { openMemoryStore } from '../../src/store/testing.js';
import type { Store } from '../../src/store/types.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller, SipCallerError } from '../helpers/sip-caller.js';
import { describeRun, freePort, runSipp } from '../helpers/sipp.js';

const YAML_NUMBER = '+15550100001';
const RUNTIME_NUMBER = '+15550100777';
const SECRET = `whsec_${Buffer.from('routing-webhook-test-secret-0123').toString('base64')}`;

/** The webhook server: what each path answers, and what it received (signature checked). */
interface Received {
  path: string;
  body: Record<string, unknown>;
  verified: boolean;
  aborted: boolean;
}

let gw: TestGateway;
let store: Store;
let hook: Server;
let hookBase = '';
let downUrl = '';
const received: Received[] = [];
const events: CallEvent[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => resolve(text));
    req.on('error', () => resolve(text));
  });
}

async function startHook(): Promise<void> {
  hook = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      let verified = false;
      try {
        new Webhook(SECRET).verify(text, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      const entry: Received = { path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown>, verified, aborted: false };
      received.push(entry);
      res.on('close', () => (entry.aborted = !res.writableFinished));
      const json = (status: number, body: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      switch (req.url) {
        case '/agent':
          return json(200, JSON.stringify({ agent: 'echo', parameters: { lang: 'en' } }));
        case '/reject':
          return json(200, JSON.stringify({ reject: { status: 486 } }));
        case '/slow':
          return void setTimeout(() => (res.destroyed ? undefined : json(200, JSON.stringify({ agent: 'echo' }))), 3_000);
        case '/bad-json':
          return json(200, '{ not json');
        case '/voicemail':
          return json(200, JSON.stringify({ voicemail: { greeting: 'leave a message' } }));
        default:
          return json(500, '{}');
      }
    })();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookBase = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  downUrl = `http://127.0.0.1:${await freePort('tcp')}/down`; // nothing listens there
}

const webhookNumber = (url: string, timeoutMs = 2000) => ({ agent: 'demo', webhook: { url, timeoutMs, secretEnv: 'ROUTE_SECRET' } });

beforeAll(async () => {
  await startHook();
  store = await openMemoryStore();
  gw = await startTestGateway(
    {
      numbers: {
        [YAML_NUMBER]: { agent: 'echo' },
        '+15550100010': webhookNumber(`${hookBase}/agent`),
        '+15550100011': webhookNumber(`${hookBase}/reject`),
        '+15550100012': webhookNumber(`${hookBase}/slow`),
        '+15550100013': webhookNumber(downUrl),
        '+15550100014': webhookNumber(`${hookBase}/bad-json`),
        '+15550100015': webhookNumber(`${hookBase}/voicemail`),
        '+15550100016': { agent: 'demo', ringing: true, webhook: { url: `${hookBase}/slow`, timeoutMs: 5000 } },
      },
    },
    { store, env: { ROUTE_SECRET: SECRET } },
  );
  for (const type of ['created', 'routed', 'agent-connect', 'refused', 'ended'] as const) gw.gateway.events.on(type, (e) => void events.push(e));
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await store?.close();
  await new Promise<void>((resolve) => hook?.close(() => resolve()));
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const call = (to: string, answerTimeoutMs = 5_000): Promise<SipCaller> => SipCaller.call({ host: gw.host, port: gw.sipPort, to, answerTimeoutMs });

async function refusedWith(to: string): Promise<number | undefined> {
  try {
    (await call(to)).close();
    return 200;
  } catch (err) {
    if (!(err instanceof SipCallerError)) throw err;
    return err.status;
  }
}

/** The plan's routing of the last call created to `to`. */
function lastCall(to: string): { id: string; routing: unknown; agent: unknown } {
  const created = events.filter((e): e is Extract<CallEvent, { type: 'created' }> => e.type === 'created' && e.call.plan.to === to).at(-1);
  if (created === undefined) throw new Error(`no call to ${to}`);
  return { id: created.call.id, routing: created.call.plan.routing, agent: created.call.plan.agent };
}

/** Non-silent PCMU from the gateway: the agent is talking. */
const heardSpeech = (caller: SipCaller): boolean => caller.received.some((p) => p.pcm.some((s) => Math.abs(s) > 500));

describe('/v1/numbers: CRUD over HTTP, calls routed without a restart', () => {
  it('a number created over HTTP takes the next call; removed, the next call gets 404', async () => {
    expect(await refusedWith(RUNTIME_NUMBER)).toBe(404);
    const created = await api('PUT', `/v1/numbers/${encodeURIComponent(RUNTIME_NUMBER)}`, { agent: 'echo', parameters: { tier: 'gold' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ pattern: RUNTIME_NUMBER, source: 'api', readOnly: false, version: 1 });

    const list = await api('GET', '/v1/numbers');
    const numbers = list.json['numbers'] as { pattern: string; source: string; readOnly: boolean }[];
    expect(numbers.find((n) => n.pattern === YAML_NUMBER)).toMatchObject({ source: 'config', readOnly: true });
    expect(numbers.find((n) => n.pattern === RUNTIME_NUMBER)).toMatchObject({ source: 'api', readOnly: false });

    const caller = await call(RUNTIME_NUMBER);
    expect(lastCall(RUNTIME_NUMBER)).toMatchObject({ routing: { source: 'numbers-api', action: 'agent' }, agent: { kind: 'builtin', name: 'echo' } });
    // Changed while the call is up: the live call keeps its plan, the next call follows the new route.
    const changed = await api('PUT', `/v1/numbers/${encodeURIComponent(RUNTIME_NUMBER)}`, { agent: 'demo' });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ version: 2, route: { agent: 'demo' } });
    const second = await call(RUNTIME_NUMBER);
    expect(lastCall(RUNTIME_NUMBER).agent).toEqual({ kind: 'builtin', name: 'demo' });
    await second.hangUp();
    await caller.hangUp();

    expect((await api('DELETE', `/v1/numbers/${encodeURIComponent(RUNTIME_NUMBER)}`)).status).toBe(204);
    expect((await api('GET', `/v1/numbers/${encodeURIComponent(RUNTIME_NUMBER)}`)).json['code']).toBe('NUMBER_NOT_FOUND');
    expect(await refusedWith(RUNTIME_NUMBER)).toBe(404);
  }, 20_000);

  it('refuses to change or remove a patchbay.yaml entry (409), whatever its spelling', async () => {
    const put = await api('PUT', `/v1/numbers/${encodeURIComponent('+1 555 010 0001')}`, { agent: 'demo' });
    expect(put.status).toBe(409);
    expect(put.json['code']).toBe('NUMBER_READ_ONLY');
    expect((await api('DELETE', `/v1/numbers/${encodeURIComponent(YAML_NUMBER)}`)).json['code']).toBe('NUMBER_READ_ONLY');
  });

  it('validates with the numbers: schema and the adapter: every problem, with its field', async () => {
    const bad = await api('PUT', '/v1/numbers/%2B15550100900', { agent: 'nope', bargeIn: 'sometimes', typo: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json['code']).toBe('VALIDATION_FAILED');
    const fields = (bad.json['errors'] as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['body', 'body.agent', 'body.bargeIn']);
    const adapter = await api('PUT', '/v1/numbers/%2B15550100901', { agent: { adapter: 'openai-realtime', apiKeyEnv: 'NOT_SET_ANYWHERE', modle: 'x' } });
    expect(adapter.status).toBe(400);
    expect(JSON.stringify(adapter.json['errors'])).toMatch(/body\.agent\.modle/);
    const pattern = await api('PUT', '/v1/numbers/%2B1*5', { agent: 'echo' });
    expect((pattern.json['errors'] as { field: string }[])[0]?.field).toBe('params.pattern');
    expect((await api('GET', '/v1/numbers')).json['numbers']).toHaveLength(8); // nothing was stored
  });
});

describe('routing webhooks', () => {
  it('answers an agent: signed request with the call details, the call follows the answer', async () => {
    const caller = await call('+15550100010');
    const got = received.find((r) => r.path === '/agent');
    expect(got?.verified).toBe(true);
    expect(got?.body).toMatchObject({ type: 'call.routing', direction: 'inbound', to: '+15550100010', number: '+15550100010', trunk: null });
    expect(got?.body).not.toHaveProperty('sipCallId');
    const routed = lastCall('+15550100010');
    expect(routed.agent).toEqual({ kind: 'builtin', name: 'echo' });
    expect(routed.routing).toMatchObject({ source: 'webhook', action: 'agent', url: `${hookBase}/agent` });
    expect(caller.provisional).toContain(180);
    await caller.hangUp();
  }, 10_000);

  it('answers reject 486: the caller gets 486, no agent is dialled', async () => {
    expect(await refusedWith('+15550100011')).toBe(486);
    const { id, routing } = lastCall('+15550100011');
    expect(routing).toMatchObject({ source: 'webhook', action: 'reject', status: 486 });
    expect(events.some((e) => e.type === 'agent-connect' && e.call.id === id)).toBe(false);
  });

  it('slow (3 s, timeout 2 s): 180 within 100 ms, then the fallback agent answers and talks', async () => {
    const caller = await call('+15550100012', 8_000);
    const ringMs = (caller.provisionalAtMs[caller.provisional.indexOf(180)] ?? Infinity) - caller.invitedAtMs;
    expect(ringMs).toBeLessThan(100);
    expect(caller.answeredMs - caller.invitedAtMs).toBeGreaterThanOrEqual(1_900);
    expect(lastCall('+15550100012').routing).toMatchObject({ source: 'fallback', fallbackReason: 'timeout', action: 'agent' });
    await waitFor(() => heardSpeech(caller), 5_000, () => `${caller.received.length} packets, all silent`);
    await caller.hangUp();
  }, 15_000);

  it('down (connection refused): the fallback at once', async () => {
    const caller = await call('+15550100013');
    expect(caller.answeredMs - caller.invitedAtMs).toBeLessThan(1_000);
    expect(lastCall('+15550100013').routing).toMatchObject({ source: 'fallback', fallbackReason: 'unreachable' });
    await waitFor(() => heardSpeech(caller), 5_000);
    await caller.hangUp();
  }, 10_000);

  it('bad JSON, or a key not supported yet (voicemail): the fallback, reason bad_response', async () => {
    for (const to of ['+15550100014', '+15550100015']) {
      const caller = await call(to);
      expect(lastCall(to).routing).toMatchObject({ source: 'fallback', fallbackReason: 'bad_response' });
      await caller.hangUp();
    }
  }, 10_000);

  it('CANCEL while the webhook is asked: 487, the request aborted, no agent dialled', async () => {
    const before = received.filter((r) => r.path === '/slow').length;
    const result = await runSipp({ scenario: 'uac-cancel-after-pause.xml', transport: 'udp', service: '+15550100016', host: gw.host, port: gw.sipPort, timeoutMs: 10_000, recvTimeoutMs: 6_000 });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.actionLog).toContain('invite terminated');
    const { id } = lastCall('+15550100016');
    expect(events.some((e) => e.type === 'refused' && e.call?.id === id && e.sipStatus === 487)).toBe(true);
    expect(events.some((e) => (e.type === 'agent-connect' || e.type === 'routed') && e.call.id === id)).toBe(false);
    await waitFor(() => received.filter((r) => r.path === '/slow').slice(before).some((r) => r.aborted), 2_000, () => 'the webhook request was not aborted');
  }, 15_000);

  it('counts webhook latency and fallbacks by reason in /metrics', async () => {
    const text = await gw.metrics();
    expect(text).toMatch(/patchbay_routing_webhook_fallbacks_total\{reason="timeout"\} 1/);
    expect(text).toMatch(/patchbay_routing_webhook_fallbacks_total\{reason="unreachable"\} 1/);
    expect(text).toMatch(/patchbay_routing_webhook_fallbacks_total\{reason="bad_response"\} 2/);
    expect(text).toMatch(/patchbay_routing_webhook_seconds_count [1-9]/);
  });
});
