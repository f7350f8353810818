import { describe, expect, it } from 'vitest';
import { parseVia } from '../headers.js';
import { getHeaders, type SipRequest } from '../message.js';
import { responseTarget, stampTopVia } from './via-routing.js';

const source = { transport: 'udp', address: '203.0.113.7', port: 40000 } as const;

function req(...vias: string[]): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: 'sip:b@x',
    headers: vias.map((value) => ({ name: 'v', value })),
    body: Buffer.alloc(0),
  };
}

describe('stampTopVia', () => {
  it('adds received when sent-by differs from the source', () => {
    const r = req('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1');
    stampTopVia(r, source);
    expect(getHeaders(r, 'via')).toEqual(['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=203.0.113.7']);
  });

  it('leaves the Via alone when sent-by is the source address and rport is not asked for', () => {
    const r = req('SIP/2.0/UDP 203.0.113.7:5070;branch=z9hG4bK1');
    stampTopVia(r, source);
    expect(getHeaders(r, 'via')).toEqual(['SIP/2.0/UDP 203.0.113.7:5070;branch=z9hG4bK1']);
  });

  it('fills a valueless rport (and received, RFC 3581 §4) in place, keeping the header name and lower Vias', () => {
    const r = req('SIP/2.0/UDP 203.0.113.7;rport;branch=z9hG4bK1, SIP/2.0/UDP proxy.example.com', 'SIP/2.0/UDP c');
    stampTopVia(r, source);
    expect(r.headers[0]).toEqual({
      name: 'v',
      value: 'SIP/2.0/UDP 203.0.113.7;rport=40000;branch=z9hG4bK1;received=203.0.113.7, SIP/2.0/UDP proxy.example.com',
    });
    expect(r.headers[1]?.value).toBe('SIP/2.0/UDP c');
  });

  it('treats an IPv4-mapped source as the plain IPv4 address', () => {
    const r = req('SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK1');
    stampTopVia(r, { transport: 'tcp', address: '::ffff:203.0.113.7', port: 1 });
    expect(getHeaders(r, 'via')).toEqual(['SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK1']);
  });

  it('returns false without a Via', () => {
    expect(stampTopVia(req(), source)).toBe(false);
  });
});

describe('responseTarget', () => {
  it('UDP: received and rport win; else sent-by host and port; default port 5060', () => {
    expect(responseTarget(parseVia('SIP/2.0/UDP h.example:5070;received=198.51.100.1;rport=4000'), 'udp')).toEqual({
      transport: 'udp',
      address: '198.51.100.1',
      port: 4000,
    });
    expect(responseTarget(parseVia('SIP/2.0/UDP h.example:5070;received=198.51.100.1'), 'udp')).toEqual({
      transport: 'udp',
      address: '198.51.100.1',
      port: 5070,
    });
    expect(responseTarget(parseVia('SIP/2.0/UDP 198.51.100.2'), 'udp')).toEqual({
      transport: 'udp',
      address: '198.51.100.2',
      port: 5060,
    });
  });

  it('TCP: connects to received/sent-by and the sent-by port, never the rport', () => {
    expect(responseTarget(parseVia('SIP/2.0/TCP h.example:5070;received=198.51.100.1;rport=4000'), 'tcp')).toEqual({
      transport: 'tcp',
      address: '198.51.100.1',
      port: 5070,
    });
  });
});
