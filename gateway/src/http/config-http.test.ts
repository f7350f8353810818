import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { exposureWarnings } from './start.js';

describe('http: and agents.tls in the configuration', () => {
  it('defaults: main on 0.0.0.0:8080, admin on 127.0.0.1:9464, no HTTPS, no agent TLS files', () => {
    const c = parseConfig({});
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8080, admin: { host: '127.0.0.1', port: 9464 }, tls: null });
    expect(c.agents.tls).toEqual({});
  });

  it("admin: 'api' and null both mean no admin listener; tls takes TLSv1.2 by default", () => {
    expect(parseConfig({ http: { admin: 'api' } }).http.admin).toBeNull();
    expect(parseConfig({ http: { admin: null } }).http.admin).toBeNull();
    expect(parseConfig({ http: { tls: { certFile: 'a.crt', keyFile: 'a.key' } } }).http.tls).toEqual({ certFile: 'a.crt', keyFile: 'a.key', minVersion: 'TLSv1.2' });
  });

  it('refuses a TLS version below 1.2, a tls block without its key, and an agent certificate without its key', () => {
    expect(() => parseConfig({ http: { tls: { certFile: 'a.crt', keyFile: 'a.key', minVersion: 'TLSv1.1' } } })).toThrow(/http\.tls\.minVersion/);
    expect(() => parseConfig({ http: { tls: { certFile: 'a.crt' } } })).toThrow(/http\.tls\.keyFile/);
    expect(() => parseConfig({ agents: { tls: { certFile: 'g.crt' } } })).toThrow(/agents\.tls\.keyFile: certFile and keyFile go together/);
    expect(() => parseConfig({ agents: { tls: { insecure: true } } })).toThrow(/agents\.tls/); // no switch turns verification off
  });
});

describe('exposure warnings at start', () => {
  it('none for the defaults; one for an admin listener off loopback; one for keys over plain HTTP off loopback', () => {
    expect(exposureWarnings(parseConfig({}).http, false)).toEqual([]);
    expect(exposureWarnings(parseConfig({ http: { admin: { host: '0.0.0.0' } } }).http, false).map((w) => w.setting)).toEqual(['http.admin.host']);
    expect(exposureWarnings(parseConfig({}).http, true).map((w) => w.setting)).toEqual(['http.tls']);
    expect(exposureWarnings(parseConfig({ http: { host: '127.0.0.1' } }).http, true)).toEqual([]);
    expect(exposureWarnings(parseConfig({ http: { tls: { certFile: 'a', keyFile: 'b' } } }).http, true)).toEqual([]);
  });
});
