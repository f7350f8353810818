/**
 * An echo call's markers due back and found back (`RtpCall.markers`), against a reflector on loopback that sends every
 * packet straight back except those it is told to drop: a marker cut on the way is one not back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { loadResampler } from '@patchbay/gateway';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emptyBargeInCounts } from '../src/load/barge-in-tracker.js';
import { codecProfile } from '../src/load/codec-profile.js';
import { encodeLoop } from '../src/load/payload-loop.js';
import { RtpCall, type CallShared } from '../src/load/rtp-call.js';
import { echoCycle, markerTemplate, PACKET_MS } from '../src/load/signals.js';
import { Samples } from '../src/stats.js';

beforeAll(async () => {
  await loadResampler();
});

/** A short echo cycle (200 ms of a loud vowel-like buzz, a 200 ms pause, the marker 100 ms into it): 20 packets. */
function shared(): CallShared & { readonly markerPacket: number; readonly packets: number } {
  const buzz = Int16Array.from({ length: 1_600 }, (_, i) => Math.round(6_000 * Math.sin((2 * Math.PI * 150 * i) / 8_000)));
  const cycle = echoCycle(buzz, 200, 100);
  const echo = { ...encodeLoop(cycle.pcm, 'PCMU'), markerPacket: cycle.markerPacket };
  return {
    codec: codecProfile('PCMU'), echo, turn: { ...echo, utterancePackets: 1 }, bargeIn: { ...echo, onsetPacket: 1 },
    template: markerTemplate(), roundTripMs: new Samples(), turnMs: new Samples(), bargeInMs: new Samples(),
    bargeInCounts: emptyBargeInCounts(), jitterMs: new Samples(), markerPacket: cycle.markerPacket, packets: cycle.packets,
  };
}

/** Sends every datagram back to where it came from, except the `drop`-th ones (0-based, by arrival). */
async function reflector(drop: ReadonlySet<number>): Promise<Socket> {
  const socket = createSocket('udp4');
  let n = 0;
  socket.on('message', (msg, from) => {
    if (!drop.has(n++)) socket.send(msg, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

/** Sends `cycles` cycles paced at 20 ms (the tracker needs real arrival times), then waits for the last echo. */
async function runCall(drop: ReadonlySet<number>, cycles: number): Promise<{ due: number; back: number; roundTrips: number }> {
  const s = shared();
  const far = await reflector(drop);
  const call = await RtpCall.open('echo', s);
  cleanup.push(() => call.close(), () => far.close());
  await call.start({ address: '127.0.0.1', port: far.address().port }, s.codec.offerPayloadType);
  call.sending = true;
  const total = cycles * s.packets;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * PACKET_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    call.sendNext();
  }
  // The last packets' echoes (loopback: well under a packet time), polled rather than slept for.
  const deadline = performance.now() + 2_000;
  while (call.received < total - drop.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return { ...call.markers(0), roundTrips: s.roundTripMs.length };
}

describe('RtpCall.markers', () => {
  it('counts every marker sent as due and, through a clean reflector, back', async () => {
    const m = await runCall(new Set(), 4);
    expect(m.due).toBe(4);
    expect(m.back).toBe(4);
    expect(m.roundTrips).toBe(4);
  });

  it('counts a marker whose packet was dropped on the way as due and not back', async () => {
    const s = shared();
    // The second cycle's marker packet never comes back.
    const m = await runCall(new Set([s.packets + s.markerPacket]), 4);
    expect(m.due).toBe(4);
    expect(m.back).toBe(3);
  });

  it('is nothing for calls that are not echo calls', async () => {
    const call = await RtpCall.open('turn', shared());
    cleanup.push(() => call.close());
    expect(call.markers(0)).toEqual({ due: 0, back: 0 });
  });
});
