/** The gateway's HTTP surface: health, stats for the bench and operators, and Prometheus metrics. */
import Fastify, { type FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';

export interface HealthSource {
  activeCalls(): number;
  /** True while the SIP listeners are up. */
  sipListening(): boolean;
  /** Call, SIP and per-hop latency figures for the bench and operators (`GET /stats`; `?reset=1` starts a new window). */
  stats?(options: { reset: boolean }): Promise<unknown>;
  /** The Prometheus text exposition (`GET /metrics`). */
  metrics?(): Promise<{ contentType: string; body: string }>;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  activeCalls: number;
  uptimeSeconds: number;
}

export function createHttpServer(source: HealthSource): FastifyInstance {
  const app = Fastify({ logger: false });
  const startedAt = performance.now();
  app.get('/healthz', async (_req, reply) => {
    const ok = source.sipListening();
    const body: Health = {
      status: ok ? 'ok' : 'degraded',
      version: VERSION,
      activeCalls: source.activeCalls(),
      uptimeSeconds: Math.round((performance.now() - startedAt) / 1000),
    };
    return reply.code(ok ? 200 : 503).send(body);
  });
  app.get<{ Querystring: { reset?: string } }>('/stats', async (req, reply) => {
    if (!source.stats) return reply.code(404).send({ error: 'no stats source' });
    return reply.send(await source.stats({ reset: req.query.reset === '1' || req.query.reset === 'true' }));
  });
  app.get('/metrics', async (_req, reply) => {
    if (!source.metrics) return reply.code(404).send({ error: 'no metrics source' });
    const { contentType, body } = await source.metrics();
    return reply.header('content-type', contentType).send(body);
  });
  return app;
}
