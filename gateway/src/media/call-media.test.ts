import dgram from 'node:dgram';
import type { GatewayMessage } from '@patchbay/agents';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentLink } from '../agent/agent-link.js';
import { HopMetrics } from '../metrics/hop-metrics.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import { loadResampler } from './audio/resampler.js';
import { CallMedia } from './call-media.js';
import { MediaClock } from './media-clock.js';
import { PortPool, type MediaPorts } from './port-pool.js';
import { ULAW_DECODE } from './codecs/g711.js';
import { parseRtp, serializeRtp } from './rtp/packet.js';
import type { UplinkMode } from './uplink.js';

const logger = pino({ level: 'silent' });
beforeAll(async () => {
  await loadResampler();
});
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const close of cleanup.splice(0).reverse()) close();
});

/** The agent side of the link: records what the gateway hands it. */
class RecordingAgent implements AgentLink {
  readonly kind = 'in-process';
  readonly frames: Int16Array[] = [];
  readonly messages: GatewayMessage[] = [];
  readonly stats = { uplinkDroppedFrames: 0, badMessages: 0 };
  readonly queuedFrames = 0;
  sendAudio(frame: Int16Array): void {
    this.frames.push(frame);
  }
  send(msg: GatewayMessage): void {
    this.messages.push(msg);
  }
  close(): void {}
}

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  cleanup.push(() => s.close());
  return s;
}

const until = async (cond: () => boolean): Promise<void> => {
  const end = performance.now() + 2000;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** 20 ms of PCMU (a 400 Hz tone), sequence `seq`. */
function pcmu(seq: number): Uint8Array {
  const payload = new Uint8Array(160);
  for (let i = 0; i < payload.length; i++) payload[i] = Math.sin((2 * Math.PI * 400 * i) / 8000) >= 0 ? 0x8f : 0x0f;
  return serializeRtp({ payloadType: 0, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xcafe, csrcs: [], payload });
}

interface Harness {
  media: CallMedia;
  agent: RecordingAgent;
  ports: MediaPorts;
  hops: HopMetrics;
  send(seq: number): void;
  /** The caller's socket (what the gateway sends arrives here). */
  caller: dgram.Socket;
}

async function callMedia(mode: UplinkMode, clock: MediaClock): Promise<Harness> {
  const ports = await new PortPool({ host: '127.0.0.1', portMin: 42400, portMax: 42499 }).allocate();
  cleanup.push(() => ports.close());
  const caller = await udp();
  const negotiated: NegotiatedMedia = {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    remote: { address: '127.0.0.1', rtpPort: caller.address().port, rtcpPort: caller.address().port + 1 },
    direction: 'sendrecv',
    onHold: false,
    ptimeMs: 20,
  };
  const hops = new HopMetrics();
  const media = new CallMedia({
    callId: 'call-media-test',
    hops,
    bargeIn: { mode: 'off', speech: {}, guardMs: 500 },
    ports,
    negotiated,
    clock,
    settings: { jitter: { mode, minMs: 20, maxMs: 200, startMs: 40 }, leadMs: 40, maxPlayoutMs: 120_000, rtcpIntervalMs: 5000, rtpTimeoutMs: 0 },
    logger,
    events: { onHangupRequest: () => undefined, onTransferRequest: () => undefined, onWarmTransfer: () => undefined, onAgentGone: () => undefined, onRtpTimeout: () => undefined },
  });
  cleanup.push(() => clock.close(), () => media.close('caller_hangup'));
  const agent = new RecordingAgent();
  media.attachAgent(agent);
  media.start();
  return { media, agent, ports, hops, caller, send: (seq) => caller.send(pcmu(seq), ports.rtpPort, '127.0.0.1') };
}

describe('CallMedia uplink', () => {
  it('immediate: each caller packet reaches the agent inside its own receive, with no clock tick', async () => {
    // A clock that will not tick during the test: whatever reaches the agent came from the receive path.
    const { agent, ports, hops, send } = await callMedia('immediate', new MediaClock({ tickMs: 60_000 }));
    // Listeners run in order within one datagram's emit: this one runs right after the media engine's.
    const framesAtArrival: number[] = [];
    ports.rtp.on('message', () => framesAtArrival.push(agent.frames.length));
    for (let seq = 100; seq < 105; seq++) send(seq);
    await until(() => framesAtArrival.length === 5);
    expect(framesAtArrival).toEqual([1, 2, 3, 4, 5]);
    expect(agent.frames.every((f) => f.length === 480)).toBe(true);
    expect(agent.frames.at(-1)?.some((s) => s !== 0)).toBe(true); // the tone, not filler silence
    expect(hops.uplinkMs.count).toBe(5);
    expect(hops.uplinkProcessingMs.count).toBe(5);
  });

  it('immediate: a reordered packet waits for the missing one, then both go to the agent in order', async () => {
    const { media, agent, ports, send } = await callMedia('immediate', new MediaClock({ tickMs: 60_000 }));
    const framesAtArrival: number[] = [];
    ports.rtp.on('message', () => framesAtArrival.push(agent.frames.length));
    send(10);
    await until(() => framesAtArrival.length === 1);
    send(12);
    await until(() => framesAtArrival.length === 2);
    send(11);
    await until(() => framesAtArrival.length === 3);
    expect(framesAtArrival).toEqual([1, 1, 3]);
    expect(media.stats.jitter).toMatchObject({ reordered: 1, lost: 0, late: 0, depthMs: 0 });
  });

  it('immediate: a silent caller still gets the agent a frame every 20 ms (filled on the clock)', async () => {
    const { agent } = await callMedia('immediate', new MediaClock({ tickMs: 2 }));
    await until(() => agent.frames.length >= 3);
    expect(agent.frames.every((f) => f.length === 480 && f.every((s) => s === 0))).toBe(true);
  });

  it('adaptive: the same packets wait in the jitter buffer for the clock', async () => {
    const { agent, ports, hops, send } = await callMedia('adaptive', new MediaClock({ tickMs: 2 }));
    const framesAtArrival: number[] = [];
    ports.rtp.on('message', () => framesAtArrival.push(agent.frames.filter((f) => f.some((s) => s !== 0)).length));
    for (let seq = 100; seq < 105; seq++) send(seq);
    await until(() => hops.uplinkMs.count === 5);
    expect(framesAtArrival).toEqual([0, 0, 0, 0, 0]);
    // Popped one per packet time: the last of the five waited at least a few of them.
    expect(hops.uplinkMs.snapshot().max).toBeGreaterThanOrEqual(40);
  });
});

/** `ms` of a 400 Hz tone at −12 dBFS (loud) or of silence, at 24 kHz. */
function agentAudio(ms: number, loud: boolean): Int16Array {
  const out = new Int16Array(ms * 24);
  if (loud) for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 24000));
  return out;
}

describe('CallMedia downlink after a clock stall', () => {
  it('wins the stalled time back from the pauses of the spurt, never from its speech', async () => {
    let offsetMs = 0;
    const clock = new MediaClock({ tickMs: 2, now: () => performance.now() + offsetMs });
    const { media, caller } = await callMedia('immediate', clock);
    const levels: number[] = [];
    caller.on('message', (raw: Buffer) => {
      const p = parseRtp(raw);
      if (!p || p.payloadType !== 0) return;
      let peak = 0;
      for (const code of p.payload) peak = Math.max(peak, Math.abs(ULAW_DECODE[code] ?? 0));
      levels.push(peak);
    });
    // Tone, pause, tone: 20 + 30 + 20 packets of 20 ms, all queued at once (an agent running ahead).
    for (const [ms, loud] of [[400, true], [600, false], [400, true]] as const) media.agent.onAudio(agentAudio(ms, loud));
    const loudSent = (): number => levels.filter((l) => l > 2000).length;
    await until(() => loudSent() >= 8);
    offsetMs += 200; // a 200 ms stall: ten send times due at once; three go out, seven are skipped
    await until(() => loudSent() >= 40);
    // The seven skipped packets' worth came out of the pause; every packet of both tones went out.
    expect(media.counters.stallTrimmedSamples).toBeGreaterThanOrEqual(7 * 480);
    expect(media.counters.stallTrimmedSamples).toBeLessThanOrEqual(30 * 480);
    expect(loudSent()).toBe(40);
  });
});

describe('CallMedia playedMs', () => {
  it('reports every ms figure as floor(samples / 24): 118,940 samples dropped are 4,955 ms, not 4,956', async () => {
    // A clock that will not tick: nothing plays, the clear drops all of it.
    const { media, agent } = await callMedia('immediate', new MediaClock({ tickMs: 60_000 }));
    media.agent.onAudio(new Int16Array(118_940));
    media.agent.onMessage({ type: 'mark', name: 'end' });
    media.agent.onMessage({ type: 'clear', turnId: 't1' });
    expect(agent.messages).toEqual([
      { type: 'mark', name: 'end', status: 'cleared', playedMs: 0 },
      { type: 'cleared', playedMs: 0, droppedMs: 4_955, itemPlayedMs: 0, turnId: 't1' },
    ]);
  });

  it('a mark after 500 samples (20.83 ms) comes back played at 20 ms, and the next cut counts from it', async () => {
    const { media, agent } = await callMedia('immediate', new MediaClock({ tickMs: 2 }));
    media.agent.onAudio(agentAudio(21, true).subarray(0, 500));
    media.agent.onMessage({ type: 'mark', name: 'first' });
    await until(() => agent.messages.some((m) => m.type === 'mark'));
    expect(agent.messages.filter((m) => m.type === 'mark')).toEqual([{ type: 'mark', name: 'first', status: 'played', playedMs: 20 }]);
    // A second item of 200 ms with its mark, then a third of 800 ms, cut while it plays.
    media.agent.onAudio(agentAudio(200, true));
    media.agent.onMessage({ type: 'mark', name: 'second' });
    media.agent.onAudio(agentAudio(800, true));
    await until(() => agent.messages.some((m) => m.type === 'mark' && m.name === 'second'));
    media.agent.onMessage({ type: 'clear' });
    const cleared = agent.messages.find((m) => m.type === 'cleared');
    if (cleared?.type !== 'cleared') throw new Error('no cleared');
    // The turn counts all three items (1,020.83 ms sent); the cut item counts from `second` (5,300 samples in).
    expect(agent.messages.filter((m) => m.type === 'mark').map((m) => [m.name, m.status, m.playedMs])).toEqual([
      ['first', 'played', 20],
      ['second', 'played', 220], // 5,300 samples = 220.83 ms
    ]);
    expect(cleared.afterMark).toBe('second');
    expect(cleared.itemPlayedMs).toBeLessThan(800);
    // Each figure is rounded down on its own, so the difference is 220 or 221.
    expect(cleared.playedMs - (cleared.itemPlayedMs ?? -1000)).toBeGreaterThanOrEqual(220);
    expect(cleared.playedMs - (cleared.itemPlayedMs ?? -1000)).toBeLessThanOrEqual(221);
    expect(cleared.playedMs + cleared.droppedMs).toBeGreaterThanOrEqual(1_019);
    expect(cleared.playedMs + cleared.droppedMs).toBeLessThanOrEqual(1_020);
  });
});
