/**
 * Who may read what on each listener (docs/http.md), through fastify's inject with the TCP peer's address set:
 * health is public everywhere; on the main listener `/metrics` and `/stats` answer exactly who the API answers (a
 * bearer key when keys are set, loopback clients when none are); on the admin listener they answer anyone who
 * reaches it, but `/stats?reset=1` keeps the API's access.
 */
import { describe, expect, it } from 'vitest';
import { ApiAccess } from '../api/auth.js';
import { PROBLEM_CONTENT_TYPE } from '../api/errors.js';
import { createAdminServer, createHttpServer, type HealthSource } from './server.js';

const KEY = 'k'.repeat(32);
const REMOTE = '203.0.113.9';
const source = (): HealthSource & { resets: boolean[] } => {
  const resets: boolean[] = [];
  return {
    resets,
    activeCalls: () => 0,
    sipListening: () => true,
    stats: async ({ reset }) => (resets.push(reset), { ok: true }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'patchbay_active_calls 0\n' }),
  };
};
const keyed = new ApiAccess([{ name: 'ops', key: KEY }]);
const bearer = { authorization: `Bearer ${KEY}` };

describe('the main listener', () => {
  it('serves /healthz and /readyz to anyone, key or not', async () => {
    for (const access of [keyed, new ApiAccess([])]) {
      const app = createHttpServer(source(), { access });
      for (const url of ['/healthz', '/readyz']) expect((await app.inject({ url, remoteAddress: REMOTE })).statusCode, url).toBe(200);
    }
  });

  it('with api.keys: /metrics and /stats are 401 problems without a key or with a wrong one, 200 with one (even from loopback)', async () => {
    const app = createHttpServer(source(), { access: keyed });
    for (const url of ['/metrics', '/stats']) {
      const none = await app.inject({ url, remoteAddress: '127.0.0.1' });
      expect(none.statusCode, url).toBe(401);
      expect(none.headers['content-type']).toContain(PROBLEM_CONTENT_TYPE);
      expect(none.json()).toMatchObject({ code: 'API_KEY_MISSING', status: 401 });
      const wrong = await app.inject({ url, remoteAddress: REMOTE, headers: { authorization: `Bearer ${'x'.repeat(32)}` } });
      expect(wrong.json()).toMatchObject({ code: 'API_KEY_INVALID', status: 401 });
      expect((await app.inject({ url, remoteAddress: REMOTE, headers: bearer })).statusCode, url).toBe(200);
    }
    expect((await app.inject({ url: '/metrics', remoteAddress: REMOTE, headers: bearer })).body).toBe('patchbay_active_calls 0\n');
  });

  it('without api.keys: /metrics and /stats answer loopback clients only (403 LOOPBACK_ONLY for anyone else)', async () => {
    const app = createHttpServer(source(), { access: new ApiAccess([]) });
    for (const url of ['/metrics', '/stats', '/stats?reset=1']) {
      const remote = await app.inject({ url, remoteAddress: REMOTE });
      expect(remote.statusCode, url).toBe(403);
      expect(remote.json()).toMatchObject({ code: 'LOOPBACK_ONLY' });
      expect((await app.inject({ url, remoteAddress: '127.0.0.1' })).statusCode, url).toBe(200);
      expect((await app.inject({ url, remoteAddress: '::ffff:127.0.0.1' })).statusCode, url).toBe(200);
    }
  });

  it('refuses before reading the source: a refused /stats?reset=1 starts no new window', async () => {
    const s = source();
    const app = createHttpServer(s, { access: keyed });
    await app.inject({ url: '/stats?reset=1', remoteAddress: REMOTE });
    expect(s.resets).toEqual([]);
    await app.inject({ url: '/stats?reset=1', remoteAddress: REMOTE, headers: bearer });
    expect(s.resets).toEqual([true]);
  });
});

describe('the admin listener', () => {
  it('serves /metrics, /stats, /healthz and /readyz without a key, whatever the peer', async () => {
    const app = createAdminServer(source(), { access: keyed });
    for (const url of ['/metrics', '/stats', '/healthz', '/readyz']) expect((await app.inject({ url, remoteAddress: REMOTE })).statusCode, url).toBe(200);
  });

  it('keeps the API access for /stats?reset=1 (401 without the key, LOOPBACK_ONLY without keys)', async () => {
    const s = source();
    const app = createAdminServer(s, { access: keyed });
    expect((await app.inject({ url: '/stats?reset=1', remoteAddress: '127.0.0.1' })).json()).toMatchObject({ code: 'API_KEY_MISSING' });
    expect((await app.inject({ url: '/stats?reset=1', headers: bearer })).statusCode).toBe(200);
    const open = createAdminServer(s, { access: new ApiAccess([]) });
    expect((await open.inject({ url: '/stats?reset=1', remoteAddress: REMOTE })).json()).toMatchObject({ code: 'LOOPBACK_ONLY' });
    expect((await open.inject({ url: '/stats?reset=1', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    expect(s.resets).toEqual([true, true]);
  });

  it('serves nothing else: the API is not there (404 problem)', async () => {
    const app = createAdminServer(source(), { access: keyed });
    const res = await app.inject({ url: '/v1/calls', headers: bearer });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});
