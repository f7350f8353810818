/**
 * The HTTP listeners on real sockets (docs/http.md): the main one binds exactly what `http.host` says and keeps
 * `/metrics` and `/stats` for API callers; the admin one serves them without a key. With `http.tls` the API is HTTPS
 * (verified against the test CA), plain HTTP to its port gets no answer, and a reissued certificate is served after a
 * reload (SIGHUP's `reloadCertificates`) or, polled, after the files change; a broken pair keeps the running one.
 */
import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

const KEY = 'test-key-0123456789abcdef';
const ENV = { PATCHBAY_TEST_API_KEY: KEY };

interface Answer {
  status: number;
  body: string;
  /** The server certificate's serial (HTTPS only). */
  serial?: string;
}

function get(url: string, o: { ca?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { method: 'GET', headers: o.headers ?? {}, timeout: 3_000, ...(o.ca === undefined ? {} : { ca: o.ca, agent: false }) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      const serial = u.protocol === 'https:' ? (res.socket as TLSSocket).getPeerCertificate().serialNumber : undefined;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ...(serial === undefined ? {} : { serial }) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber;

describe('the main and admin listeners', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ http: { host: '127.0.0.2', port: 0, admin: { host: '127.0.0.1', port: 0 } }, api: { keys: [{ name: 'ops', keyEnv: 'PATCHBAY_TEST_API_KEY' }] } }, { env: ENV });
  });
  afterAll(async () => gw?.close());

  it('the main listener binds http.host only, with /healthz and /readyz public', async () => {
    expect(await refused('127.0.0.1', gw.httpPort)).toBe(true);
    expect((await get(`http://127.0.0.2:${gw.httpPort}/healthz`)).status).toBe(200);
    expect((await get(`http://127.0.0.2:${gw.httpPort}/readyz`)).status).toBe(200);
  });

  it('/metrics and /stats on the main listener: 401 problem without the key, 200 with it', async () => {
    for (const path of ['/metrics', '/stats']) {
      const none = await get(`http://127.0.0.2:${gw.httpPort}${path}`);
      expect(none.status, path).toBe(401);
      expect(JSON.parse(none.body)).toMatchObject({ code: 'API_KEY_MISSING' });
      expect((await get(`http://127.0.0.2:${gw.httpPort}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).status, path).toBe(200);
    }
  });

  it('/metrics and /stats on the admin listener without a key; ?reset=1 keeps the key; no API there', async () => {
    expect(gw.adminPort).toBeGreaterThan(0);
    const admin = `http://127.0.0.1:${gw.adminPort}`;
    expect((await get(`${admin}/metrics`)).body).toContain('patchbay_active_calls');
    expect(JSON.parse((await get(`${admin}/stats`)).body)).toHaveProperty('activeCalls', 0);
    expect((await get(`${admin}/stats?reset=1`)).status).toBe(401);
    expect((await get(`${admin}/stats?reset=1`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect((await get(`${admin}/v1/calls`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });

  it("http.admin: api opens no admin listener: they are on the main one, for the API's callers", async () => {
    const single = await startTestGateway({ http: { admin: 'api' }, api: { keys: [{ name: 'ops', keyEnv: 'PATCHBAY_TEST_API_KEY' }] } }, { env: ENV });
    try {
      expect(single.gateway.admin).toBeUndefined();
      expect((await get(`http://127.0.0.1:${single.httpPort}/metrics`)).status).toBe(401);
      expect(await single.metrics().catch((e: unknown) => String(e))).toContain('401');
    } finally {
      await single.close();
    }
  });
});

describe('HTTPS on the main listener (http.tls)', () => {
  let pki: TestPki;
  let gw: TestGateway | undefined;

  beforeAll(() => {
    pki = makeTestPki();
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });
  afterAll(() => pki.remove());

  const start = (watchMs: number): Promise<TestGateway> =>
    startTestGateway({ http: { tls: { certFile: pki.serverCert, keyFile: pki.serverKey } } }, { certWatchIntervalMs: watchMs });

  it('answers over HTTPS verified by the test CA; plain HTTP to the port gets no answer; SIGHUP serves a reissued certificate', async () => {
    gw = await start(0);
    expect(gw.gateway.httpScheme).toBe('https');
    const ca = pki.read(pki.caCert);
    const first = await get(`https://localhost:${gw.httpPort}/healthz`, { ca });
    expect(first.status).toBe(200);
    expect(first.serial).toBe(serialOf(pki.read(pki.serverCert)));
    await expect(get(`http://127.0.0.1:${gw.httpPort}/healthz`)).rejects.toThrow();
    // Without the CA, the client refuses the certificate (nothing is served unverified to a verifying client).
    await expect(get(`https://localhost:${gw.httpPort}/healthz`)).rejects.toThrow(/self-signed|unable to verify|certificate/i);

    pki.reissueServer();
    const reissued = serialOf(pki.read(pki.serverCert));
    expect(reissued).not.toBe(first.serial);
    expect(await gw.gateway.reloadCertificates()).toBe(true);
    expect((await get(`https://localhost:${gw.httpPort}/healthz`, { ca })).serial).toBe(reissued);
  }, 30_000);

  it('a broken pair at reload keeps the running certificate', async () => {
    gw = await start(0);
    const ca = pki.read(pki.caCert);
    const running = (await get(`https://localhost:${gw.httpPort}/healthz`, { ca })).serial;
    const good = pki.read(pki.serverCert);
    writeFileSync(pki.serverCert, 'not a certificate\n');
    try {
      expect(await gw.gateway.reloadCertificates()).toBe(false);
      expect((await get(`https://localhost:${gw.httpPort}/healthz`, { ca })).serial).toBe(running);
    } finally {
      writeFileSync(pki.serverCert, good);
    }
  }, 30_000);

  it('picks up renewed files by itself (polled)', async () => {
    gw = await start(50);
    const ca = pki.read(pki.caCert);
    const before = (await get(`https://localhost:${gw.httpPort}/healthz`, { ca })).serial;
    pki.reissueServer();
    const after = serialOf(pki.read(pki.serverCert));
    expect(after).not.toBe(before);
    const port = gw.httpPort;
    await waitFor(async () => (await get(`https://localhost:${port}/healthz`, { ca })).serial === after, 5_000, () => 'the renewed certificate was not served');
  }, 30_000);

  it('an unreadable certificate file stops the start with the setting named', async () => {
    await expect(startTestGateway({ http: { tls: { certFile: `${pki.dir}/missing.crt`, keyFile: pki.serverKey } } })).rejects.toThrow(/http\.tls\.certFile: cannot read .*missing\.crt/);
  });
});
