/** The OpenAPI document is valid 3.1 and lists every route; /docs works offline; every error code is documented. */
import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers/api-server.js';
import { CALL_CONTROL_ERROR_CODES } from './call-control.js';
import { API_ERROR_CODES, API_ERRORS } from './errors.js';

let server: TestServer;
/** Every route the app registered under /v1, as `METHOD /path/{param}`. */
const registered: string[] = [];

beforeAll(async () => {
  server = await startTestServer({
    beforeReady: (app) =>
      app.addHook('onRoute', (route) => {
        if (!route.url.startsWith('/v1/')) return;
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const m of methods) if (m !== 'HEAD') registered.push(`${m} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }),
  });
});
afterAll(() => server.close());

async function spec(): Promise<OpenAPIV3_1.Document> {
  const res = await server.call('/openapi.json', { key: null });
  expect(res.status).toBe(200);
  return (await res.json()) as OpenAPIV3_1.Document;
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await spec();
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every /v1 route, each behind the bearer key and documenting its problems', async () => {
    const doc = await spec();
    expect(registered.length).toBe(12);
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        const op = item?.[method];
        if (!op) continue;
        documented.push(`${method.toUpperCase()} ${path}`);
        const responses = op.responses ?? {};
        for (const status of ['401', '403']) {
          const r = responses[status];
          expect(r && 'content' in r ? Object.keys(r.content ?? {}) : [], `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
      }
    }
    expect(documented.sort()).toEqual([...registered].sort());
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.components?.securitySchemes?.['apiKey']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('the Problem schema lists every code of the error table', async () => {
    const doc = await spec();
    const problem = doc.components?.schemas?.['Problem'] as { properties: { code: { enum: string[] } } };
    expect(problem.properties.code.enum).toEqual(API_ERROR_CODES);
  });
});

describe('GET /docs', () => {
  it('serves HTML whose scripts and styles all come from this server (no CDN, no external URL)', async () => {
    const res = await server.call('/docs', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/\b(https?:)?\/\/[a-z0-9]/i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/')).toBe(true);
      const got = await fetch(server.base + asset);
      expect(got.status, asset).toBe(200);
      if (asset.endsWith('swagger-initializer.js')) {
        const js = await got.text();
        expect(js).not.toMatch(/['"`]https?:\/\//); // no URL literal: no validator badge, no remote spec
        expect(js).toContain('validatorUrl: null');
        expect(js).toContain("url: resolveUrl('./json')"); // the spec from this server
      } else if (asset.endsWith('.css')) {
        expect((await got.text()).match(/url\((?!["']?data:)[^)]*\)|@import/g) ?? []).toEqual([]); // no fonts or images fetched
      } else {
        await got.arrayBuffer();
      }
    }
  });
});

describe('docs/api.md', () => {
  const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

  it('documents every error code with its status', () => {
    for (const code of API_ERROR_CODES) {
      const line = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      expect(line, code).toBeDefined();
      expect(line, code).toContain(`| ${API_ERRORS[code].status} |`);
    }
  });

  it('every call-core code has an API problem', () => {
    for (const code of CALL_CONTROL_ERROR_CODES) expect(API_ERROR_CODES).toContain(code);
  });

  it('documents every route', () => {
    for (const route of ['POST /v1/calls', 'GET /v1/calls', 'GET /v1/calls/{id}', 'POST /v1/calls/{id}/hangup', 'POST /v1/calls/{id}/transfer', 'POST /v1/calls/{id}/dtmf', 'GET /v1/trunks', 'GET /v1/analytics']) {
      expect(doc).toContain(`\`${route}\``);
    }
  });
});
