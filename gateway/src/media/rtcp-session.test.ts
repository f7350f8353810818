import { describe, expect, it } from 'vitest';
import { RtcpSession } from './rtcp-session.js';
import { RtpStreamState } from './rtp/pacer.js';
import { parseRtcp } from './rtp/rtcp.js';

/** `count` ticks of our stream, one packet each. */
function sendTicks(stream: RtpStreamState, count: number, payloadBytes: number): void {
  for (let i = 0; i < count; i++) {
    stream.packet({ payloadBytes });
    stream.endTick();
  }
}

/** The sender report in a compound packet (undefined when it is a receiver report). */
function senderReport(bytes: Uint8Array | undefined): { packetCount: number; rtpTimestamp: number } | undefined {
  if (bytes === undefined) throw new Error('no report was due');
  const sr = parseRtcp(bytes).find((p) => p.type === 'sr');
  return sr?.type === 'sr' ? { packetCount: sr.packetCount, rtpTimestamp: sr.rtpTimestamp } : undefined;
}

describe('RtcpSession sender reports', () => {
  it('go on after a codec change, counting every packet of the SSRC at the stream’s current timestamp', () => {
    const stream = new RtpStreamState({ payloadType: 0, clockRate: 8000, ptimeMs: 20, initialSequence: 0, initialTimestamp: 0, ssrc: 5 });
    const rtcp = new RtcpSession({ clockRate: 8000, outbound: stream, cname: 'test', intervalMs: 1000, random: () => 0.5, wallClockMs: () => 1_700_000_000_000 });
    expect(rtcp.poll(0)).toBeUndefined(); // the first report is one interval away
    sendTicks(stream, 50, 160);
    expect(senderReport(rtcp.poll(10_000))).toEqual({ packetCount: 50, rtpTimestamp: 50 * 160 });
    // A re-INVITE moves the call to Opus: the same stream object, the same SSRC.
    stream.recode({ payloadType: 111, clockRate: 48_000, ptimeMs: 20 });
    sendTicks(stream, 50, 80);
    expect(senderReport(rtcp.poll(20_000))).toEqual({ packetCount: 100, rtpTimestamp: 50 * 160 + 50 * 960 });
    // Nothing sent since: a receiver report.
    expect(senderReport(rtcp.poll(30_000))).toBeUndefined();
  });
});

describe('RtcpSession reception', () => {
  /** `count` packets of the caller's stream, 20 ms apart on arrival and on its RTP clock: no jitter at all. */
  function receive(rtcp: RtcpSession, from: { seq: number; ts: number; atMs: number }, count: number, tsPerPacket: number): { seq: number; ts: number; atMs: number } {
    let { seq, ts, atMs } = from;
    for (let i = 0; i < count; i++) {
      rtcp.onRtp({ payloadType: 0, marker: false, sequenceNumber: seq, timestamp: ts, ssrc: 77, csrcs: [], payload: new Uint8Array(0) }, atMs);
      seq++;
      ts += tsPerPacket;
      atMs += 20;
    }
    return { seq, ts, atMs };
  }

  it('measures the caller’s jitter on its new clock after a codec change (PCMU 8 kHz → Opus 48 kHz, same SSRC)', () => {
    const stream = new RtpStreamState({ payloadType: 0 });
    const rtcp = new RtcpSession({ clockRate: 8000, outbound: stream, cname: 'test', intervalMs: 1000 });
    const next = receive(rtcp, { seq: 0, ts: 0, atMs: 0 }, 50, 160);
    expect(rtcp.jitterMs).toBeCloseTo(0, 6);
    rtcp.setInboundClockRate(48_000);
    receive(rtcp, next, 50, 960);
    // On the old clock each Opus packet would look 100 ms early or late (960 ticks read at 8 kHz is 120 ms, not 20).
    expect(rtcp.jitterMs).toBeCloseTo(0, 6);
    expect([rtcp.expected, rtcp.lost]).toEqual([100, 0]);
  });
});

