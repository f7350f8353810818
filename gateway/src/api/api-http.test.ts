/** The call-control API over real HTTP (127.0.0.1:0 + fetch) against a FakeCallControl. */
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_B, startTestServer, type TestServer } from '../../test/helpers/api-server.js';
import type { Problem } from './errors.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Problem;
  expect(body.status).toBe(res.status);
  expect(body.type).toBe(`urn:patchbay:problem:${body.code.toLowerCase().replace(/_/g, '-')}`);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

/** One valid request per route, and what it answers with a key. */
const ROUTES: { method: string; path: string; json?: unknown; status: number }[] = [
  { method: 'POST', path: '/v1/calls', json: { to: '+15551230000' }, status: 201 },
  { method: 'GET', path: '/v1/calls', status: 200 },
  { method: 'GET', path: '/v1/calls/c1', status: 200 },
  { method: 'POST', path: '/v1/calls/c1/transfer', json: { target: '+15559870000' }, status: 202 },
  { method: 'POST', path: '/v1/calls/c1/forward', json: { to: ['+15559870000', '+15559870001'], trunk: 'carrier' }, status: 202 },
  { method: 'POST', path: '/v1/calls/c1/dtmf', json: { digits: '12#' }, status: 202 },
  { method: 'POST', path: '/v1/calls/c1/monitor', json: { mode: 'listen', to: '+15559870002', trunk: 'carrier' }, status: 202 },
  { method: 'PATCH', path: '/v1/calls/c1/monitor', json: { mode: 'barge' }, status: 200 },
  { method: 'DELETE', path: '/v1/calls/c1/monitor', status: 202 },
  { method: 'POST', path: '/v1/calls/c1/hangup', status: 202 },
  { method: 'GET', path: '/v1/trunks', status: 200 },
];

describe('access', () => {
  it('every route refuses without a key (401 API_KEY_MISSING) and works with one', async () => {
    const s = await start();
    s.control.add({ id: 'c1' });
    for (const r of ROUTES) {
      const refused = await s.call(r.path, { method: r.method, key: null, json: r.json });
      expect((await problemOf(refused)).code, `${r.method} ${r.path}`).toBe('API_KEY_MISSING');
    }
    expect(s.control.requests).toEqual([]); // nothing reached the call core
    for (const r of ROUTES) {
      const ok = await s.call(r.path, { method: r.method, json: r.json });
      expect(ok.status, `${r.method} ${r.path}`).toBe(r.status);
    }
    expect(s.control.requests.map((q) => q.method)).toEqual(['placeCall', 'transfer', 'forward', 'sendDtmf', 'monitor', 'monitorMode', 'unmonitor', 'hangup']);
  });

  it('monitor: 202 with the supervisor\'s state; a second is 409 MONITOR_ACTIVE; without one, PATCH and DELETE are 409 MONITOR_NONE', async () => {
    const s = await start();
    s.control.add({ id: 'c1' });
    const started = await s.call('/v1/calls/c1/monitor', { method: 'POST', json: { mode: 'whisper', url: 'wss://qa.example/listen' } });
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ monitor: { mode: 'whisper', state: 'on', callId: null } });
    expect((await problemOf(await s.call('/v1/calls/c1/monitor', { method: 'POST', json: { mode: 'listen', url: 'wss://qa.example/listen' } }))).code).toBe('MONITOR_ACTIVE');
    const changed = await s.call('/v1/calls/c1/monitor', { method: 'PATCH', json: { mode: 'barge' } });
    expect(await changed.json()).toEqual({ monitor: { mode: 'barge', state: 'on', callId: null } });
    expect((await s.call('/v1/calls/c1/monitor', { method: 'DELETE' })).status).toBe(202);
    const none = await problemOf(await s.call('/v1/calls/c1/monitor', { method: 'DELETE' }));
    expect([none.code, none.status]).toEqual(['MONITOR_NONE', 409]);
    expect((await problemOf(await s.call('/v1/calls/c1/monitor', { method: 'PATCH', json: { mode: 'listen' } }))).code).toBe('MONITOR_NONE');
  });

  it('a wrong key is 401 API_KEY_INVALID whatever its length; every configured key works', async () => {
    const s = await start();
    for (const wrong of [KEY_A.slice(0, -1), `${KEY_A}x`, `${KEY_A.slice(0, -1)}X`, 'short', 'z'.repeat(4000)]) {
      const res = await s.call('/v1/trunks', { key: wrong });
      expect(res.status).toBe(401);
      expect((await problemOf(res)).code).toBe('API_KEY_INVALID');
    }
    expect((await s.call('/v1/trunks', { key: KEY_B })).status).toBe(200);
    const basic = await s.call('/v1/trunks', { key: null, headers: { authorization: `Basic ${Buffer.from(`x:${KEY_A}`).toString('base64')}` } });
    expect((await problemOf(basic)).code).toBe('API_KEY_MISSING');
  });

  it('without keys the API answers loopback clients only (403 LOOPBACK_ONLY for others)', async () => {
    const s = await start({ keys: [] });
    expect((await s.call('/v1/trunks', { key: null })).status).toBe(200); // we are 127.0.0.1
    const remote = await s.app.inject({ method: 'GET', url: '/v1/trunks', remoteAddress: '192.0.2.7' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json()).toMatchObject({ code: 'LOOPBACK_ONLY' });
    const mapped = await s.app.inject({ method: 'GET', url: '/v1/trunks', remoteAddress: '::ffff:127.0.0.1' });
    expect(mapped.statusCode).toBe(200);
  });

  it('on the main listener /stats (with or without reset=1) needs a key when keys are configured; /healthz stays public', async () => {
    const resets: boolean[] = [];
    const s = await start({ source: { stats: async ({ reset }) => (resets.push(reset), { ok: true }) } });
    expect((await s.call('/healthz', { key: null })).status).toBe(200);
    expect((await problemOf(await s.call('/stats', { key: null }))).code).toBe('API_KEY_MISSING');
    expect((await s.call('/stats')).status).toBe(200);
    expect((await problemOf(await s.call('/stats?reset=1', { key: null }))).code).toBe('API_KEY_MISSING');
    expect((await problemOf(await s.call('/stats?reset=1', { key: 'nope' }))).code).toBe('API_KEY_INVALID');
    expect((await s.call('/stats?reset=1')).status).toBe(200);
    expect(resets).toEqual([false, true]);
  });

  it('/stats?reset=1 without keys: loopback only', async () => {
    const s = await start({ keys: [], source: { stats: async () => ({}) } });
    expect((await s.call('/stats?reset=1', { key: null })).status).toBe(200);
    const remote = await s.app.inject({ method: 'GET', url: '/stats?reset=1', remoteAddress: '198.51.100.1' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json()).toMatchObject({ code: 'LOOPBACK_ONLY' });
  });
});

describe('requests', () => {
  it('validation problems name the field', async () => {
    const s = await start();
    s.control.add({ id: 'c1' });
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/calls', { to: 5 }, 'body.to'],
      ['POST', '/v1/calls', { to: '+1555', ringTimeoutS: 0 }, 'body.ringTimeoutS'],
      ['POST', '/v1/calls', { to: '+1555', agent: 'http://x' }, 'body.agent'],
      ['POST', '/v1/calls', { to: '+1555', parameters: { a: 1 } }, 'body.parameters.a'],
      ['POST', '/v1/calls/c1/dtmf', { digits: '12x' }, 'body.digits'],
      ['POST', '/v1/calls/c1/transfer', {}, 'body.target'],
      ['POST', '/v1/calls/c1/forward', { to: [], trunk: 'carrier' }, 'body.to'],
      ['POST', '/v1/calls/c1/forward', { to: '+1555' }, 'body.trunk'],
      ['POST', '/v1/calls/c1/forward', { to: '+1555', trunk: 'carrier', strategy: 'round-robin' }, 'body.strategy'],
      ['POST', '/v1/calls/c1/forward', { to: '+1555', trunk: 'carrier', ringTimeoutS: 0 }, 'body.ringTimeoutS'],
      ['POST', '/v1/calls/c1/forward', { to: '+1555', trunk: 'carrier', onPersonHangup: 'voicemail' }, 'body.onPersonHangup'],
      ['GET', '/v1/calls?status=ringing-ish', undefined, 'query.status'],
      ['PATCH', '/v1/calls/c1/monitor', { mode: 'spy' }, 'body.mode'],
    ];
    for (const [method, path, json, field] of cases) {
      const res = await s.call(path, { method, json });
      const p = await problemOf(res);
      expect(p.code, path).toBe('VALIDATION_FAILED');
      expect(p.errors?.map((e) => e.field), JSON.stringify(json)).toContain(field);
      expect(p.detail).toContain(field);
    }
    const unknown = await problemOf(await s.call('/v1/calls', { method: 'POST', json: { to: '+1555', colour: 'red' } }));
    expect(unknown.detail).toContain('colour');
    expect(s.control.placed).toEqual([]);
  });

  it('places a call: 201, Location, the summary; an adapter block passes through', async () => {
    const s = await start();
    const res = await s.call('/v1/calls', { method: 'POST', json: { to: '+15551230000', trunk: 'carrier', agent: { adapter: 'openai-realtime', model: 'm' }, parameters: { lead: '42' }, ringTimeoutS: 30 } });
    expect(res.status).toBe(201);
    const call = (await res.json()) as { id: string; direction: string; status: string; agent: unknown };
    expect(res.headers.get('location')).toBe(`/v1/calls/${call.id}`);
    expect(call).toMatchObject({ direction: 'outbound', status: 'queued', agent: { kind: 'adapter', target: 'openai-realtime' } });
    expect(s.control.placed[0]).toEqual({ to: '+15551230000', trunk: 'carrier', agent: { adapter: 'openai-realtime', model: 'm' }, parameters: { lead: '42' }, ringTimeoutS: 30 });
    expect((await s.call(`/v1/calls/${call.id}`)).status).toBe(200);
  });

  it('lists calls with filters, gets one, 404 CALL_NOT_FOUND for another', async () => {
    const s = await start();
    s.control.add({ id: 'in1', direction: 'inbound', status: 'answered', trunk: 'carrier', number: '+1555*' });
    s.control.add({ id: 'out1', direction: 'outbound', status: 'ringing', trunk: 'other' });
    const ids = async (q: string): Promise<string[]> => ((await (await s.call(`/v1/calls${q}`)).json()) as { calls: { id: string }[] }).calls.map((c) => c.id);
    expect(await ids('')).toEqual(['out1', 'in1']); // newest first; equal createdAt: id descending
    expect(await ids('?direction=outbound')).toEqual(['out1']);
    expect(await ids('?status=answered&trunk=carrier')).toEqual(['in1']);
    expect(await ids('?number=%2B1555*')).toEqual(['in1']);
    expect(await ids('?trunk=none')).toEqual([]);
    const missing = await s.call('/v1/calls/nope');
    expect((await problemOf(missing)).code).toBe('CALL_NOT_FOUND');
  });

  it('call-control errors become problems with their code (and Retry-After for limits)', async () => {
    const s = await start();
    s.control.add({ id: 'ringing', status: 'ringing' });
    const place = (json: unknown): Promise<Response> => s.call('/v1/calls', { method: 'POST', json });
    const unknownTrunk = await place({ to: '+15551230000', trunk: 'nope' });
    expect([unknownTrunk.status, (await problemOf(unknownTrunk)).code]).toEqual([422, 'TRUNK_UNKNOWN']);
    const fraud = await place({ to: '+882345' });
    expect([fraud.status, (await problemOf(fraud)).code]).toEqual([403, 'DESTINATION_NOT_ALLOWED']);
    s.control.fail('placeCall', 'TRUNK_BUSY', 2.5);
    const busy = await place({ to: '+15551230000' });
    expect([busy.status, (await problemOf(busy)).code, busy.headers.get('retry-after')]).toEqual([503, 'TRUNK_BUSY', '3']);
    s.control.fail('placeCall', 'TRUNK_RATE_LIMITED', 1);
    const cps = await place({ to: '+15551230000' });
    expect([cps.status, (await problemOf(cps)).code]).toEqual([429, 'TRUNK_RATE_LIMITED']);
    s.control.fail('placeCall', 'NOT_IMPLEMENTED');
    const notYet = await place({ to: '+15551230000' });
    expect([notYet.status, (await problemOf(notYet)).code]).toEqual([501, 'NOT_IMPLEMENTED']);
    const early = await s.call('/v1/calls/ringing/transfer', { method: 'POST', json: { target: '+15550000000' } });
    expect([early.status, (await problemOf(early)).code]).toEqual([409, 'CALL_NOT_ANSWERED']);
    const gone = await s.call('/v1/calls/gone/hangup', { method: 'POST' });
    expect([gone.status, (await problemOf(gone)).code]).toEqual([404, 'CALL_NOT_FOUND']);
  });

  it('unknown routes, bad JSON and other content types are problems too', async () => {
    const s = await start();
    expect((await problemOf(await s.call('/v1/nothing'))).code).toBe('ROUTE_NOT_FOUND');
    expect((await problemOf(await s.call('/nothing', { key: null }))).code).toBe('ROUTE_NOT_FOUND');
    const bad = await s.call('/v1/calls', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"to":' });
    expect([bad.status, (await problemOf(bad)).code]).toEqual([400, 'BODY_INVALID_JSON']);
    const text = await s.call('/v1/calls', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'to=+1555' });
    expect([text.status, (await problemOf(text)).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });
});

describe('limits', () => {
  it('a body over api.bodyLimitBytes is 413 BODY_TOO_LARGE and reaches nothing', async () => {
    const s = await start({ bodyLimitBytes: 2048 });
    const res = await s.call('/v1/calls', { method: 'POST', json: { to: '+15551230000', parameters: { big: 'x'.repeat(3000) } } });
    expect([res.status, (await problemOf(res)).code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(s.control.requests).toEqual([]);
    expect((await s.call('/v1/calls', { method: 'POST', json: { to: '+15551230000', parameters: { small: 'x'.repeat(1000) } } })).status).toBe(201);
  });

  it('POST /v1/calls beyond callsPerMinute per key is 429 RATE_LIMITED with Retry-After; other keys are not affected', async () => {
    const s = await start({ callsPerMinute: 3 });
    const place = (key: string): Promise<Response> => s.call('/v1/calls', { method: 'POST', key, json: { to: '+15551230000' } });
    for (let i = 0; i < 3; i++) expect((await place(KEY_A)).status).toBe(201);
    const limited = await place(KEY_A);
    expect([limited.status, (await problemOf(limited)).code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await place(KEY_B)).status).toBe(201);
    expect((await s.call('/v1/calls')).status).toBe(200); // only placing calls is limited
    // A refused body is not counted.
    const s2 = await startTestServer({ callsPerMinute: 1 });
    try {
      expect((await s2.call('/v1/calls', { method: 'POST', json: { to: 5 } })).status).toBe(400);
      expect((await s2.call('/v1/calls', { method: 'POST', json: { to: '+15551230000' } })).status).toBe(201);
    } finally {
      await s2.close();
    }
  });
});

describe('Idempotency-Key', () => {
  const post = (s: TestServer, key: string, json: unknown, apiKey = KEY_A): Promise<Response> =>
    s.call('/v1/calls', { method: 'POST', key: apiKey, json, headers: { 'idempotency-key': key } });

  it('same key and body: the same answer, one call placed, not counted by the rate limit', async () => {
    const s = await start({ callsPerMinute: 1 });
    const first = await post(s, 'k-1', { to: '+15551230000', parameters: { a: '1', b: '2' } });
    expect(first.status).toBe(201);
    const again = await post(s, 'k-1', { parameters: { b: '2', a: '1' }, to: '+15551230000' }); // key order does not matter
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await again.json()).toEqual(await first.json());
    expect(s.control.placed).toHaveLength(1);
  });

  it('same key, another body: 422 IDEMPOTENCY_KEY_REUSED; keys are per API key', async () => {
    const s = await start();
    expect((await post(s, 'k-2', { to: '+15551230000' })).status).toBe(201);
    const other = await post(s, 'k-2', { to: '+15551239999' });
    expect([other.status, (await problemOf(other)).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect((await post(s, 'k-2', { to: '+15551239999' }, KEY_B)).status).toBe(201); // another API key's own k-2
    expect(s.control.placed).toHaveLength(2);
  });

  it('while the first is in progress: 409 IDEMPOTENCY_KEY_IN_PROGRESS; a refusal frees the key for a retry', async () => {
    const s = await start();
    let open: () => void = () => undefined;
    s.control.gate = new Promise((resolve) => (open = resolve));
    const first = post(s, 'k-3', { to: '+15551230000' });
    // Poll until the first request is inside placeCall (bounded).
    for (let i = 0; i < 200 && s.control.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const during = await post(s, 'k-3', { to: '+15551230000' });
    expect([during.status, (await problemOf(during)).code]).toEqual([409, 'IDEMPOTENCY_KEY_IN_PROGRESS']);
    open();
    expect((await first).status).toBe(201);

    s.control.gate = undefined;
    s.control.fail('placeCall', 'TRUNK_BUSY');
    expect((await post(s, 'k-4', { to: '+15551230000' })).status).toBe(503);
    expect((await post(s, 'k-4', { to: '+15551230000' })).status).toBe(201);
  });

  it('a malformed key is a validation problem naming the header', async () => {
    const s = await start();
    const p = await problemOf(await post(s, 'x'.repeat(300), { to: '+15551230000' }));
    expect(p.code).toBe('VALIDATION_FAILED');
    expect(p.errors?.[0]?.field).toBe('headers.idempotency-key');
  });
});
