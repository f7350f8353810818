/** For the API's tests: the real HTTP server with the API over a FakeCallControl, listening on 127.0.0.1:0. */
import type { FastifyInstance } from 'fastify';
import { createHttpServer, type HealthSource } from '../../src/http/server.js';
import { ApiAccess, type ApiKey } from '../../src/api/auth.js';
import type { Logger } from 'pino';
import type { HistorySource } from '../../src/records/query.js';
import { FakeCallControl } from './fake-call-control.js';

export const KEY_A = 'a'.repeat(20) + '-test-key-one';
export const KEY_B = 'b'.repeat(20) + '-test-key-two';

export interface TestServer {
  app: FastifyInstance;
  control: FakeCallControl;
  base: string;
  /** fetch(base + path) with the bearer key (default KEY_A; null: none). */
  call(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { keys?: ApiKey[]; callsPerMinute?: number; bodyLimitBytes?: number; source?: Partial<HealthSource>; beforeReady?: (app: FastifyInstance) => void; history?: HistorySource; logger?: Logger } = {},
): Promise<TestServer> {
  const control = new FakeCallControl();
  const keys = options.keys ?? [{ name: 'one', key: KEY_A }, { name: 'two', key: KEY_B }];
  const app = createHttpServer(
    { activeCalls: () => 0, sipListening: () => true, ...options.source },
    { access: new ApiAccess(keys), api: { control, callsPerMinute: options.callsPerMinute ?? 1000, ...(options.history === undefined ? {} : { history: options.history }), ...(options.logger === undefined ? {} : { logger: options.logger }) }, bodyLimitBytes: options.bodyLimitBytes ?? 4096 },
  );
  options.beforeReady?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;
  return {
    app,
    control,
    base,
    call: (path, init = {}) => {
      const { key = KEY_A, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('authorization', `Bearer ${key}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(base + path, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
    },
    close: () => app.close(),
  };
}
