/**
 * RTP hijack and cross-talk, from the network (issue 11): nobody but the caller gets a call's audio, and the caller's
 * own audio is never displaced, whoever else sends to the gateway's media ports.
 *
 * - An attacker on another host (127.0.0.2) sprays RTP at every port of the media range, 50 packets a second per
 *   port, before and during a legitimate call from 127.0.0.1; a second attacker on the caller's own host (another
 *   port) started spraying before the answer. The call is to the `echo` agent: the caller hears its own tone back,
 *   the attackers hear nothing, and the gateway counts the refused sources (`GET /stats`, `/metrics`).
 * - A gateway restarted on a range where old calls' RTP still flows (from 127.0.0.1, the new caller's host too)
 *   takes a new call: the new caller hears its own echo, the old streams get nothing.
 *
 * In both, the legitimate caller opens its audio only once the strays have sent a few more rounds after the answer:
 * the way a phone's audio path opens tens of milliseconds after the 200, and the race the old latching lost. The
 * number answers at once (the in-process echo agent answers within a millisecond, before a stray sending every 20 ms
 * could even be seen "sending before the answer"): what keeps a stray from the caller's own host out is that a source
 * other than the SDP's exact address and port latches only after NAT_HOLD_MS, and never while several such sources
 * compete.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { ulawEncode } from '../helpers/g711.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { powerAt, sine } from '../helpers/tones.js';

const ECHO = '+15550100001';
const RATE = 8_000;
const CALLER_HZ = 440;
const STRAY_HZ = 1_500;
/** The caller's tone: 1 s, 50 packets. */
const TONE_MS = 1_000;
/** Echoed packets carrying the caller's tone that must come back (of 50; the echo's start and end may cut one or two). */
const MIN_ECHOED = 45;
/** Outside the test helpers' 20000–29999 slices and the unit tests' 41xxx/42xxx. */
const HIJACK_RANGES = [{ portMin: 43_000, portMax: 43_015 }, { portMin: 43_200, portMax: 43_215 }] as const;
const RESTART_RANGE = { portMin: 43_100, portMax: 43_115 };
const NUMBERS = { [ECHO]: { agent: 'echo' } };

/** A UDP socket sending PCMU (a 1.5 kHz tone) every 20 ms to each of `ports` on 127.0.0.1, and counting what comes back. */
class Sprayer {
  rounds = 0;
  received = 0;
  private readonly ssrc = randomInt(1, 0xffff_ffff);
  private seq = randomInt(0, 0x1_0000);
  private ts = randomInt(0, 0xffff_ffff);
  private readonly payload: Buffer;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    private readonly ports: readonly number[],
  ) {
    const tone = sine(RATE, STRAY_HZ, -15, 20);
    this.payload = Buffer.from(Array.from(tone, (s) => ulawEncode(s)));
    socket.on('message', () => this.received++);
    socket.on('error', () => undefined); // ICMP unreachable for a port nobody holds: expected, never fatal
    this.timer = setInterval(() => this.round(), 20);
  }

  static async start(address: string, ports: readonly number[]): Promise<Sprayer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve());
    });
    return new Sprayer(socket, ports);
  }

  get port(): number {
    return this.socket.address().port;
  }

  private round(): void {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = 0; // PCMU: a payload type every call here negotiates
    header.writeUInt16BE(this.seq, 2);
    header.writeUInt32BE(this.ts >>> 0, 4);
    header.writeUInt32BE(this.ssrc, 8);
    const packet = Buffer.concat([header, this.payload]);
    for (const port of this.ports) this.socket.send(packet, port, '127.0.0.1');
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 160) >>> 0;
    this.rounds++;
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }
}

/** Every port of a range (RTP and RTCP). */
function everyPort(range: { portMin: number; portMax: number }): number[] {
  return Array.from({ length: range.portMax - range.portMin + 1 }, (_, i) => range.portMin + i);
}

/** Waits until every sprayer has sent `more` rounds beyond where it is now. */
async function moreRounds(sprayers: readonly Sprayer[], more: number): Promise<void> {
  const targets = sprayers.map((s) => s.rounds + more);
  await waitFor(() => sprayers.every((s, i) => s.rounds >= (targets[i] ?? 0)), 2_000, () => 'sprayers stalled');
}

/** The caller sends its tone and waits (bounded) for the echo; returns the echoed tone packets and the heard audio. */
async function toneRoundTrip(caller: SipCaller): Promise<{ echoed: number; heard: Int16Array }> {
  const tonePackets = (): number => caller.received.filter((p) => p.payloadType === 0 && powerAt(p.pcm, RATE, CALLER_HZ) > 1e8).length;
  await caller.sendAudio(sine(RATE, CALLER_HZ, -15, TONE_MS));
  await waitFor(() => tonePackets() >= MIN_ECHOED, 3_000, () => `caller heard ${tonePackets()} packets of its own tone back (of ${caller.received.length} received)`).catch(() => undefined);
  return { echoed: tonePackets(), heard: concat(caller.received.map((p) => p.pcm)) };
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

describe('RTP hijack and cross-talk (from the network)', () => {
  const cleanup: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c.close();
  });

  // On a worker thread the answer is stamped on the main thread and reaches the worker's sockets a message later.
  it.each([0, 1])('an attacker spraying the whole media range before and during a call gets nothing, and the caller hears its own echo (media workers: %i)', async (workers) => {
    const range = HIJACK_RANGES[workers] ?? HIJACK_RANGES[0];
    const gw: TestGateway = await startTestGateway({ media: { ...range, workers }, numbers: NUMBERS });
    cleanup.push(gw);
    const elsewhere = await Sprayer.start('127.0.0.2', everyPort(range));
    cleanup.push(elsewhere);
    const sameHost = await Sprayer.start('127.0.0.1', everyPort(range));
    cleanup.push(sameHost);
    await moreRounds([elsewhere, sameHost], 3); // spraying before the call

    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: ECHO });
    cleanup.push(caller);
    await moreRounds([elsewhere, sameHost], 3); // and after the answer, before the caller's first packet
    const { echoed, heard } = await toneRoundTrip(caller);

    const stats = await gw.gateway.stats();
    const summary = `caller echoed ${echoed}/50, attacker@127.0.0.2 got ${elsewhere.received}, attacker@127.0.0.1:${sameHost.port} got ${sameHost.received}, rejected ${stats.media.rtpRejectedPackets} packets from ${stats.media.rtpRejectedSources} sources`;
    console.log(`[rtp-hijack workers=${workers}] ${summary}`);
    expect(elsewhere.received, summary).toBe(0);
    expect(sameHost.received, summary).toBe(0);
    expect(echoed, summary).toBeGreaterThanOrEqual(MIN_ECHOED);
    expect(powerAt(heard, RATE, CALLER_HZ), 'the caller hears itself, not the attackers').toBeGreaterThan(100 * powerAt(heard, RATE, STRAY_HZ));
    expect(stats.media.rtpRejectedSources, summary).toBeGreaterThanOrEqual(2);
    expect(stats.media.rtpRejectedPackets, summary).toBeGreaterThan(2 * 25); // both, for at least the second of the tone
    const metrics = await gw.metrics();
    expect(metricValue(metrics, 'patchbay_rtp_rejected_packets_total')).toBeGreaterThan(50);
    expect(metricValue(metrics, 'patchbay_rtp_rejected_sources_total')).toBeGreaterThanOrEqual(2);
    expect(await caller.bye()).toBe(200);
  }, 40_000);

  it('a gateway restarted where old calls\u2019 RTP still flows gives a new call no cross-talk', async () => {
    // The old calls: one stream per RTP port of the range, from the same host the new call comes from, still flowing
    // after the gateway that carried them was killed.
    const rtpPorts = everyPort(RESTART_RANGE).filter((p) => p % 2 === 0);
    const oldStreams = await Promise.all(rtpPorts.map((port) => Sprayer.start('127.0.0.1', [port])));
    cleanup.push(...oldStreams);
    await moreRounds(oldStreams, 2);
    const gw = await startTestGateway({ media: RESTART_RANGE, numbers: NUMBERS });
    cleanup.push(gw);

    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: ECHO });
    cleanup.push(caller);
    await moreRounds(oldStreams, 3);
    const { echoed, heard } = await toneRoundTrip(caller);

    const leaked = oldStreams.reduce((n, s) => n + s.received, 0);
    const summary = `caller echoed ${echoed}/50 on port ${caller.remoteRtp.port}, old streams got ${leaked} packets`;
    console.log(`[rtp-restart] ${summary}`);
    expect(leaked, summary).toBe(0);
    expect(echoed, summary).toBeGreaterThanOrEqual(MIN_ECHOED);
    expect(powerAt(heard, RATE, CALLER_HZ), 'the caller hears itself, not an old call').toBeGreaterThan(100 * powerAt(heard, RATE, STRAY_HZ));
    expect(await caller.bye()).toBe(200);
  }, 20_000);
});
