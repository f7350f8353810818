/**
 * Bridging two call legs inside the gateway (a B2BUA): each leg's media takes the other leg as its "agent". A leg's
 * caller frames (20 ms of 24 kHz PCM16, decoded from its own codec) become the other leg's agent audio, which its own
 * playout paces and encodes in its own codec; so two legs with different codecs transcode through the 24 kHz core.
 * DTMF a leg's caller presses is sent to the other leg (RFC 4733, or INFO as that leg negotiated). Nothing else of
 * the agent protocol crosses: a bridge has no agent to tell.
 *
 * The junction lives where the legs' media runs (one thread): `link` gives each leg its AgentLink when its media
 * connects; `join` pairs two links. Which calls are joined, and what ending one leg does to the other, is the call
 * core's (forwarding/): a leg's link closing only unpairs it.
 */
import type { GatewayMessage, StopReasonValue } from '@patchbay/agents';
import type { AgentLink, AgentLinkStats, AgentSink } from '../agent/agent-link.js';

/** The DTMF duration relayed when the pressed digit's is unknown or out of range, ms. */
const RELAY_DTMF_MS = 100;

export class BridgeJunction {
  private readonly ends = new Map<string, BridgeEnd>();

  /** The AgentLink of leg `callId`; audio the other leg sends goes to `sink` once the two are joined. */
  link(callId: string, sink: AgentSink): AgentLink {
    this.ends.get(callId)?.close('error');
    const end = new BridgeEnd(sink, () => {
      if (this.ends.get(callId) === end) this.ends.delete(callId);
    });
    this.ends.set(callId, end);
    return end;
  }

  /** Pairs two linked legs (each leaves any earlier pairing); false when either has no open link here. */
  join(a: string, b: string): boolean {
    const ea = this.ends.get(a);
    const eb = this.ends.get(b);
    if (ea === undefined || eb === undefined || ea === eb) return false;
    ea.pair(eb);
    return true;
  }

  /** Legs with an open link (tests, stats). */
  get size(): number {
    return this.ends.size;
  }
}

class BridgeEnd implements AgentLink {
  readonly kind = 'bridge';
  readonly stats: AgentLinkStats = { uplinkDroppedFrames: 0, badMessages: 0 };
  readonly queuedFrames = 0;
  /** Frames of this leg's caller that reached the other leg. */
  relayedFrames = 0;
  private peer: BridgeEnd | undefined;
  private closed = false;

  constructor(
    private readonly sink: AgentSink,
    private readonly onClosed: () => void,
  ) {}

  pair(other: BridgeEnd): void {
    this.unpair();
    other.unpair();
    this.peer = other;
    other.peer = this;
  }

  /** This leg's caller frame → the other leg's playout. Copied: the caller's frame buffer is reused. */
  sendAudio(frame: Int16Array): void {
    const peer = this.peer;
    if (peer === undefined || peer.closed) return;
    this.relayedFrames++;
    peer.sink.onAudio(frame.slice());
  }

  send(msg: GatewayMessage): void {
    if (msg.type !== 'dtmf') return;
    const durationMs = Number.isFinite(msg.durationMs) && msg.durationMs >= 40 && msg.durationMs <= 2_000 ? msg.durationMs : RELAY_DTMF_MS;
    this.peer?.sink.onMessage({ type: 'dtmf', digits: msg.digit, durationMs });
  }

  close(_reason: StopReasonValue): void {
    if (this.closed) return;
    this.closed = true;
    this.unpair();
    this.onClosed();
  }

  private unpair(): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined && peer.peer === this) peer.peer = undefined;
  }
}
