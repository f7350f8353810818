import { createSocket, type Socket } from 'node:dgram';
import { createDecoder, loadResampler, OpusEncoder, parseRtp, type RtpPacket } from '@patchbay/gateway';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { emptyBargeInCounts } from '../src/load/barge-in-tracker.js';
import { BENCH_CODECS, codecProfile, type CodecName } from '../src/load/codec-profile.js';
import { locateMarker } from '../src/load/markers.js';
import { encodeLoop } from '../src/load/payload-loop.js';
import { RtpCall, type CallShared } from '../src/load/rtp-call.js';
import { echoLoop, ECHO_LOOP_PACKETS, markerTemplate } from '../src/load/signals.js';
import { Samples } from '../src/stats.js';

/** Codec delay in samples at the codec's rate (see codec-round-trip.test.ts). */
const CODEC_DELAY_SAMPLES: Readonly<Record<CodecName, number>> = { PCMU: 0, PCMA: 0, G722: 22, opus: new OpusEncoder().lookaheadSamples };
const PACKETS = 2 * ECHO_LOOP_PACKETS;

beforeAll(async () => {
  await loadResampler();
});

function sharedFor(codec: CodecName): CallShared {
  const echo = encodeLoop(echoLoop(), codec);
  return {
    codec: codecProfile(codec),
    echo,
    turn: { ...echo, utterancePackets: 10 },
    bargeIn: { ...echo, onsetPacket: 10 },
    template: markerTemplate(),
    roundTripMs: new Samples(),
    turnMs: new Samples(),
    bargeInMs: new Samples(),
    bargeInCounts: emptyBargeInCounts(),
    jitterMs: new Samples(),
  };
}

/** A far end on loopback that keeps what it receives; `next(n)` resolves once it holds `n` datagrams. */
async function farEnd(): Promise<{ socket: Socket; port: number; received: Buffer[]; next(n: number): Promise<void> }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  socket.on('message', (msg: Buffer) => {
    received.push(msg);
    if (waiter !== undefined && received.length >= waiter.n) waiter.resolve();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    socket, port: socket.address().port, received,
    next: (n) => new Promise<void>((resolve) => {
      if (received.length >= n) resolve();
      else waiter = { n, resolve };
    }),
  };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

describe.each(BENCH_CODECS)('RtpCall with %s', (codec) => {
  const profile = codecProfile(codec);
  // A dynamic payload type other than the one offered: the answer's number is the one to use.
  const payloadType = codec === 'opus' ? 96 : profile.offerPayloadType;

  it("sends the loop with the answer's payload type and the codec's clock, decodable by the gateway", async () => {
    const far = await farEnd();
    const call = await RtpCall.open('echo', sharedFor(codec));
    cleanup.push(() => call.close(), () => far.socket.close());
    call.sending = true;
    call.sendNext();
    expect(call.sent.length).toBe(0); // not connected yet: nothing goes out
    await call.start({ address: '127.0.0.1', port: far.port }, payloadType);
    for (let i = 0; i < PACKETS; i++) call.sendNext();
    await far.next(PACKETS);

    const packets = far.received.map((raw) => parseRtp(raw)).filter((p): p is RtpPacket => p !== undefined);
    expect(packets).toHaveLength(PACKETS);
    const first = packets[0];
    if (first === undefined) throw new Error('no packet');
    packets.forEach((p, i) => {
      expect(p.payloadType).toBe(payloadType);
      expect(p.marker).toBe(i === 0);
      expect(p.ssrc).toBe(first.ssrc);
      expect(p.sequenceNumber).toBe((first.sequenceNumber + i) & 0xffff);
      expect(p.timestamp).toBe((first.timestamp + i * profile.timestampStep) >>> 0);
    });
    const decoder = createDecoder(codec);
    const heard = new Int16Array(PACKETS * profile.frameSamples);
    packets.forEach((p, i) => heard.set(decoder.decode(p.payload), i * profile.frameSamples));
    const template = markerTemplate(profile.pcmRate, profile.frameSamples);
    for (let k = 0; k < 2; k++) {
      const start = k * ECHO_LOOP_PACKETS * profile.frameSamples;
      const match = locateMarker(heard, template, start, start + 400);
      expect(Math.abs(match.index - start - CODEC_DELAY_SAMPLES[codec])).toBeLessThanOrEqual(2);
      expect(match.ncc).toBeGreaterThan(0.95);
    }
  });

  it('receives only its payload type, counts loss by sequence number, jitter at the codec clock, and finds the marker', async () => {
    const far = await farEnd();
    const shared = sharedFor(codec);
    const call = await RtpCall.open('echo', shared);
    cleanup.push(() => call.close(), () => far.socket.close());
    call.sending = true;
    await call.start({ address: '127.0.0.1', port: far.port }, payloadType);
    for (let i = 0; i < PACKETS; i++) call.sendNext();
    await far.next(PACKETS);
    // Echo every payload back at once, with the far end's own header; a comfort-noise packet (PT 13) in the middle.
    const { port } = call;
    far.received.forEach((raw, i) => {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = payloadType;
      header.writeUInt16BE((40_000 + i) & 0xffff, 2);
      header.writeUInt32BE((7 + i * profile.timestampStep) >>> 0, 4);
      header.writeUInt32BE(1234, 8);
      far.socket.send([header, raw.subarray(12)], port, '127.0.0.1');
      if (i === 10) far.socket.send(Buffer.from([0x80, 13, 0, 0, 0, 0, 0, 0, 0, 0, 4, 210, 0x40]), port, '127.0.0.1');
    });
    await vi.waitFor(() => expect(call.received).toBe(PACKETS), { timeout: 5_000 });
    expect(call.expected).toBe(PACKETS);
    // Sent in a burst: arrivals mostly well under a ms apart, timestamps 20 ms apart at the codec's clock, so |D| is
    // about 20 ms (a wrong clock would give 120 ms for Opus read at 8 kHz, 10 ms for G.722 read at 16 kHz).
    const jitter = Array.from(shared.jitterMs.view()).sort((a, b) => a - b);
    expect(jitter).toHaveLength(PACKETS - 1);
    const median = jitter[Math.floor(jitter.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(15);
    expect(median).toBeLessThanOrEqual(20.5);
    // The first loop's marker comes before the tracker has packets before it; the second one is found.
    expect(shared.roundTripMs.length).toBe(1);
  });
});
