import { describe, expect, it } from 'vitest';
import type { RemoteInfo } from '../sip/transport/types.js';
import { EdgeGate, type EdgeGateOptions } from './edge-gate.js';
import { SCANNER_USER_AGENTS } from './scanners.js';
import { trustedSources } from './trusted.js';

const CARRIER = '203.0.113.10';
const STRANGER = '198.51.100.7';

function gate(over: Partial<EdgeGateOptions> = {}): { gate: EdgeGate; clock: { ms: number } } {
  const clock = { ms: 0 };
  const g = new EdgeGate({
    enabled: true,
    requestsPerSecond: 50,
    burst: 10,
    banSeconds: 60,
    maxBanSeconds: 3600,
    maxSources: 1000,
    trusted: [`${CARRIER}/32`],
    unknownSources: 'answer',
    scannerUserAgents: SCANNER_USER_AGENTS,
    sweepMs: 0,
    now: () => clock.ms,
    ...over,
  });
  return { gate: g, clock };
}

const from = (address: string, transport: RemoteInfo['transport'] = 'udp'): RemoteInfo => ({ transport, address, port: 5060 });
const invite = (ua = 'Linphone'): Buffer => Buffer.from(`INVITE sip:+15550100001@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\nUser-Agent: ${ua}\r\nContent-Length: 0\r\n\r\n`);
const response = Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\nContent-Length: 0\r\n\r\n');

describe('EdgeGate', () => {
  it('passes a trusted source untouched: no limit, no ban, no scanner check', () => {
    const { gate: g } = gate();
    for (let i = 0; i < 10_000; i++) expect(g.admit(from(CARRIER), invite('friendly-scanner'))).toBe(true);
    expect(g.stats).toMatchObject({ bansTotal: 0, sources: 0, dropped: { rate: 0, banned: 0, scanner: 0 } });
  });

  it('throttles an untrusted source: the burst passes, the next is dropped and bans it, then all is dropped', () => {
    const { gate: g } = gate();
    const verdicts = Array.from({ length: 100 }, () => g.admit(from(STRANGER), invite()));
    expect(verdicts.filter(Boolean)).toHaveLength(10);
    expect(g.stats).toMatchObject({ bansTotal: 1, bansActive: 1, sources: 1, dropped: { rate: 1, banned: 89 } });
    expect(g.isBanned(STRANGER)).toBe(true);
    expect(g.admit(from(CARRIER), invite())).toBe(true);
  });

  it('refuses TCP connections from a banned source only (and never a trusted one)', () => {
    const { gate: g } = gate();
    expect(g.admitConnection(from(STRANGER, 'tcp'))).toBe(true);
    for (let i = 0; i < 11; i++) g.admit(from(STRANGER, 'tcp'), invite());
    expect(g.admitConnection(from(STRANGER, 'tcp'))).toBe(false);
    expect(g.admitConnection(from(CARRIER, 'tcp'))).toBe(true);
    expect(g.stats.connectionsRefused).toBe(1);
  });

  it('with unknownSources: drop, drops requests (and connections) from outside the trusted set, never responses', () => {
    const { gate: g } = gate({ unknownSources: 'drop' });
    expect(g.admit(from(STRANGER), invite())).toBe(false);
    expect(g.admit(from(STRANGER), response)).toBe(true); // an answer to our own request
    expect(g.admit(from(STRANGER), Buffer.concat([Buffer.from('\r\n'), response]))).toBe(true);
    expect(g.admit(from(CARRIER), invite())).toBe(true);
    expect(g.admitConnection(from(STRANGER, 'tcp'))).toBe(false);
    expect(g.stats.dropped['unknown-source']).toBe(1);
  });

  it('with unknownSources: answer (the default), lets an unknown source through', () => {
    const { gate: g } = gate();
    expect(g.admit(from(STRANGER), invite())).toBe(true);
    expect(g.stats.dropped['unknown-source']).toBe(0);
  });

  it('drops a scanner and bans its source', () => {
    const { gate: g } = gate();
    expect(g.admit(from(STRANGER), invite('friendly-scanner'))).toBe(false);
    expect(g.admit(from(STRANGER), invite('Linphone'))).toBe(false);
    expect(g.stats).toMatchObject({ bansTotal: 1, dropped: { scanner: 1, banned: 1 } });
  });

  it('still drops scanners and unknown sources with the limiter off', () => {
    const { gate: g } = gate({ enabled: false });
    for (let i = 0; i < 1_000; i++) expect(g.admit(from(STRANGER), invite())).toBe(true);
    expect(g.admit(from(STRANGER), invite('sipvicious'))).toBe(false);
    expect(g.stats).toMatchObject({ bansTotal: 0, sources: 0, dropped: { scanner: 1, rate: 0 } });
  });

  it('groups an IPv6 /64 as one source', () => {
    const { gate: g } = gate();
    for (let i = 0; i < 10; i++) expect(g.admit(from(`2001:db8:5:6::${(i + 1).toString(16)}`), invite())).toBe(true);
    expect(g.admit(from('2001:db8:5:6:ffff::1'), invite())).toBe(false);
    expect(g.admit(from('2001:db8:5:7::1'), invite())).toBe(true);
  });

  it('ends a ban after banSeconds (fake clock)', () => {
    const { gate: g, clock } = gate();
    for (let i = 0; i < 11; i++) g.admit(from(STRANGER), invite());
    clock.ms += 59_000;
    expect(g.admit(from(STRANGER), invite())).toBe(false);
    clock.ms += 1_000;
    expect(g.admit(from(STRANGER), invite())).toBe(true);
    expect(g.stats.bansActive).toBe(0);
  });
});

describe('trustedSources', () => {
  it('is the exempt list, every allow entry, and literal outbound/registrar hosts (not names)', () => {
    const trusted = trustedSources(
      [
        { allow: ['203.0.113.0/24'], outbound: { proxy: { host: 'sip.carrier.example' } } },
        { allow: [], outbound: { proxy: { host: '192.0.2.50' } }, register: { registrar: { host: '[2001:db8::5]' } } },
      ],
      ['127.0.0.0/8'],
    );
    expect(trusted.sort()).toEqual(['127.0.0.0/8', '192.0.2.50', '2001:db8::5', '203.0.113.0/24']);
  });
});
