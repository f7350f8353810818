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
