import { describe, expect, it } from 'vitest';
import { createHttpServer } from './server.js';
import { VERSION } from '../version.js';

describe('GET /healthz', () => {
  it('reports status, version and active calls', async () => {
    let calls = 3;
    const app = createHttpServer({ activeCalls: () => calls, sipListening: () => true });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', version: VERSION, activeCalls: 3 });
    calls = 0;
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ activeCalls: 0 });
  });

  it('answers 503 degraded when SIP is not listening', async () => {
    const app = createHttpServer({ activeCalls: () => 0, sipListening: () => false });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded' });
  });

  it('serves GET /stats from its source', async () => {
    const app = createHttpServer({ activeCalls: () => 1, sipListening: () => true, stats: async () => ({ hops: { uplinkMs: { count: 3 } } }) });
    const res = await app.inject({ method: 'GET', url: '/stats' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ hops: { uplinkMs: { count: 3 } } });
  });

  it('passes ?reset=1 to the stats source', async () => {
    const calls: boolean[] = [];
    const app = createHttpServer({ activeCalls: () => 0, sipListening: () => true, stats: async ({ reset }) => (calls.push(reset), {}) });
    await app.inject({ method: 'GET', url: '/stats?reset=1' });
    await app.inject({ method: 'GET', url: '/stats' });
    expect(calls).toEqual([true, false]);
  });

  it('serves GET /metrics with the source\'s content type, and 404 without a source', async () => {
    const contentType = 'text/plain; version=0.0.4; charset=utf-8';
    const app = createHttpServer({ activeCalls: () => 0, sipListening: () => true, metrics: async () => ({ contentType, body: 'patchbay_active_calls 2\n' }) });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(contentType);
    expect(res.body).toBe('patchbay_active_calls 2\n');
    const bare = createHttpServer({ activeCalls: () => 0, sipListening: () => true });
    expect((await bare.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });

  it('answers 404 for unknown paths', async () => {
    const app = createHttpServer({ activeCalls: () => 0, sipListening: () => true });
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });
});
