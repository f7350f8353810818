/**
 * Micro-benchmark: SIP parse and serialise of a typical INVITE with SDP.
 * Run from the repo root: `npx tsx bench/src/micro/sip-parse.ts [iterations]` (default 200k after a 20k warm-up).
 * Prints µs per operation; the floor is a plain `Buffer.toString` of the same bytes, measured in the same run.
 */

import { performance } from 'node:perf_hooks';

import { getHeader, parseMessage, parseVias, parseNameAddr, parseCSeq, serializeMessage } from '@patchbay/gateway';


const SDP = [
  'v=0',
  'o=- 3949291721 3949291721 IN IP4 203.0.113.10',
  's=-',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 9 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:+15550100002@gw.patchbay.example:5060;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---a1b2c3d4e5f6;rport',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK7f3a9c;received=198.51.100.7',
    'Max-Forwards: 69',
    'From: "Alice Caller" <sip:+15550100001@trunk.example.net>;tag=9fxced76sl',
    'To: <sip:+15550100002@gw.patchbay.example>',
    'Call-ID: 3848276298220188511@203.0.113.10',
    'CSeq: 1 INVITE',
    'Contact: <sip:+15550100001@203.0.113.10:5060;transport=udp>',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY',
    'Supported: replaces, timer',
    'User-Agent: TrunkSBC/4.2',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
);

function measure(label: string, iterations: number, fn: () => unknown): number {
  let sink: unknown;
  for (let i = 0; i < 20_000; i++) sink = fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) sink = fn();
  const us = ((performance.now() - t0) * 1000) / iterations;
  if (sink === undefined) throw new Error('unreachable');
  console.log(`${label.padEnd(44)} ${us.toFixed(3)} µs/op`);
  return us;
}

const iterations = Number(process.argv[2] ?? 200_000);
console.log(`INVITE with SDP: ${INVITE.length} bytes, ${iterations} iterations, node ${process.version}`);
const floor = measure('floor: buf.toString(utf8)', iterations, () => INVITE.toString('utf8'));
const parse = measure('parseMessage', iterations, () => parseMessage(INVITE));
const parsed = parseMessage(INVITE);
measure('parseMessage + Via/From/To/CSeq', iterations, () => {
  const m = parseMessage(INVITE);
  return [
    parseVias(m),
    parseNameAddr(getHeader(m, 'from') ?? ''),
    parseNameAddr(getHeader(m, 'to') ?? ''),
    parseCSeq(getHeader(m, 'cseq') ?? ''),
  ];
});
const serialize = measure('serializeMessage', iterations, () => serializeMessage(parsed));
if (!serializeMessage(parsed).equals(INVITE)) throw new Error('round trip failed');
console.log(`parse = ${(parse / floor).toFixed(1)}× floor, serialize = ${(serialize / floor).toFixed(1)}× floor`);
