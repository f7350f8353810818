/**
 * Micro-benchmark: what the SIP edge costs per message, before parsing, against what it saves (the parse).
 * Run from the repo root: `npx tsx bench/src/micro/edge-gate.ts [iterations]` (default 200k after a 20k warm-up).
 * Prints µs per message; the floor is a plain `Buffer.toString` of the same bytes, measured in the same run.
 */
import { performance } from 'node:perf_hooks';

import { EdgeGate, parseMessage, ScannerMatcher, SCANNER_USER_AGENTS } from '@patchbay/gateway';

const INVITE = Buffer.from(
  [
    'INVITE sip:+15550100002@gw.patchbay.example:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-524287-1---a1b2c3d4e5f6;rport',
    'Max-Forwards: 70',
    'From: "Alice" <sip:+15550100001@198.51.100.7>;tag=9fxced76sl',
    'To: <sip:+15550100002@gw.patchbay.example>',
    'Call-ID: 3848276298220188511@198.51.100.7',
    'CSeq: 1 INVITE',
    'Contact: <sip:+15550100001@198.51.100.7:5060>',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY',
    'Supported: replaces, timer',
    'User-Agent: Linphone-Desktop/5.2.6 (belle-sip/5.2.94)',
    'Content-Type: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
);

function measure(label: string, iterations: number, fn: () => unknown): number {
  let sink: unknown;
  for (let i = 0; i < 20_000; i++) sink = fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) sink = fn();
  const us = ((performance.now() - t0) * 1000) / iterations;
  if (sink === undefined) throw new Error('unreachable');
  console.log(`${label.padEnd(52)} ${us.toFixed(3)} µs/msg`);
  return us;
}

const options = { enabled: true, requestsPerSecond: 50, burst: 200, banSeconds: 60, maxBanSeconds: 3600, maxSources: 10_000, trusted: ['203.0.113.0/24'], unknownSources: 'answer', scannerUserAgents: SCANNER_USER_AGENTS, sweepMs: 0 } as const;
const iterations = Number(process.argv[2] ?? 200_000);
console.log(`INVITE: ${INVITE.length} bytes, ${iterations} iterations, node ${process.version}`);
const floor = measure('floor: buf.toString(latin1)', iterations, () => INVITE.toString('latin1'));
const parse = measure('parseMessage (what a drop saves)', iterations, () => parseMessage(INVITE));

const trusted = new EdgeGate(options);
measure('admit: trusted source (allow-list CIDR check)', iterations, () => trusted.admit({ transport: 'udp', address: '203.0.113.10', port: 5060 }, INVITE));

const flooded = new EdgeGate(options);
const flooder = { transport: 'udp', address: '198.51.100.7', port: 5060 } as const;
for (let i = 0; i < 1_000; i++) flooded.admit(flooder, INVITE); // banned now
const banned = measure('admit: banned source (the flood path)', iterations, () => flooded.admit(flooder, INVITE));

const scanners = new ScannerMatcher(SCANNER_USER_AGENTS);
const search = measure('User-Agent search alone (14 names)', iterations, () => scanners.matches(INVITE));

// An untrusted source within its rate: a fresh source each time (bucket, then the scanner search).
let n = 0;
const open = new EdgeGate({ ...options, maxSources: 1_000_000 });
const admitted = measure('admit: untrusted in rate (limiter + User-Agent search)', iterations, () => open.admit({ transport: 'udp', address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n++ & 255}`, port: 5060 }, INVITE));
if (flooded.stats.bansTotal !== 1) throw new Error('the flooder was not banned');
console.log(`banned drop = ${(banned / floor).toFixed(2)}× floor (${(parse / banned).toFixed(0)}× cheaper than parsing); User-Agent search = ${(search / floor).toFixed(2)}× floor, ${((100 * search) / parse).toFixed(0)} % of a parse; admitted (new source) = ${(admitted / floor).toFixed(1)}× floor`);
trusted.close();
flooded.close();
open.close();
