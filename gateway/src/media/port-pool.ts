import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import type { Logger } from 'pino';

/** An RTP/RTCP socket pair bound for one call. Media handling arrives with the media layer. */
export interface MediaPorts {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
  /** Releases both sockets and returns the pair to the pool. Idempotent. */
  close(): void;
}

export class PortPoolExhaustedError extends Error {
  readonly code = 'MEDIA_PORTS_EXHAUSTED';
  constructor(min: number, max: number) {
    super(`no free RTP port pair in ${min}-${max} (taken by calls or other programs): widen media.portMin/media.portMax`);
  }
}

export interface PortPoolOptions {
  host: string;
  portMin: number;
  portMax: number;
  logger?: Logger;
  /**
   * How many just-released pairs wait before they can be handed out again while other pairs are free; default
   * min(64, half the pairs).
   */
  quarantine?: number;
}

const DEFAULT_QUARANTINE = 64;

/**
 * Hands out even RTP ports (RTCP on port + 1) from a configured range, binding both sockets so the port we
 * advertise in SDP is really ours. Each pair is picked at random (crypto-random) among the free ones, so nobody can
 * guess the next call's port and spray it in advance, and a restarted gateway does not start again at the bottom of
 * the range, where an old call's RTP may still be flowing. A released pair sits in a short quarantine (the last
 * `quarantine` pairs released) and is handed out again only when no other pair is free: late packets of the old call
 * must not land in a new one. A pair someone else has bound is skipped (bind failure), and the next tried.
 */
export class PortPool {
  private readonly inUse = new Set<number>();
  /** Pair indexes free to hand out (order does not matter: the pick is random; removal swaps with the last). */
  private readonly free: number[] = [];
  /** Pair indexes released most recently, oldest first; reused only when `free` is empty. */
  private readonly quarantined: number[] = [];
  private readonly quarantineSize: number;
  private readonly first: number;
  private readonly pairs: number;

  constructor(private readonly options: PortPoolOptions) {
    this.first = options.portMin % 2 === 0 ? options.portMin : options.portMin + 1;
    this.pairs = Math.max(0, Math.floor((options.portMax - this.first + 1) / 2));
    for (let i = 0; i < this.pairs; i++) this.free.push(i);
    this.quarantineSize = options.quarantine ?? Math.min(DEFAULT_QUARANTINE, Math.floor(this.pairs / 2));
  }

  get allocated(): number {
    return this.inUse.size;
  }

  get capacity(): number {
    return this.pairs;
  }

  async allocate(): Promise<MediaPorts> {
    // Pairs that failed to bind (taken by another process) go back to the free list once this allocation is over.
    const failed: number[] = [];
    try {
      for (;;) {
        const index = this.take();
        if (index === undefined) throw new PortPoolExhaustedError(this.options.portMin, this.options.portMax);
        const rtpPort = this.first + 2 * index;
        this.inUse.add(rtpPort);
        const pair = await this.bindPair(rtpPort, index);
        if (pair) return pair;
        this.inUse.delete(rtpPort);
        failed.push(index);
      }
    } finally {
      for (const index of failed) this.free.push(index);
    }
  }

  /** A random free pair, else the pair longest in quarantine; undefined when every pair is taken. */
  private take(): number | undefined {
    if (this.free.length > 0) {
      const at = randomInt(this.free.length);
      const index = this.free[at];
      const last = this.free.pop();
      if (index === undefined || last === undefined) return undefined;
      if (at < this.free.length) this.free[at] = last;
      return index;
    }
    return this.quarantined.shift();
  }

  private release(index: number): void {
    this.quarantined.push(index);
    while (this.quarantined.length > this.quarantineSize) {
      const oldest = this.quarantined.shift();
      if (oldest !== undefined) this.free.push(oldest);
    }
  }

  private async bindPair(rtpPort: number, index: number): Promise<MediaPorts | undefined> {
    const rtp = await bindUdp(this.options.host, rtpPort, this.options.logger);
    if (!rtp) return undefined;
    const rtcp = await bindUdp(this.options.host, rtpPort + 1, this.options.logger);
    if (!rtcp) {
      rtp.close();
      return undefined;
    }
    let closed = false;
    return {
      rtpPort,
      rtcpPort: rtpPort + 1,
      rtp,
      rtcp,
      close: () => {
        if (closed) return;
        closed = true;
        // Not in this tick: a datagram sent just before (the agent's last packet, then its hangup in the same tick)
        // is still in dgram's address lookup, which completes on the next tick; closing now would drop it.
        setImmediate(() => {
          // Each close may throw (ERR_SOCKET_DGRAM_NOT_RUNNING when already closed); the pair returns to the pool anyway.
          try {
            closeQuietly(rtp, this.options.logger, rtpPort);
            closeQuietly(rtcp, this.options.logger, rtpPort + 1);
          } finally {
            this.inUse.delete(rtpPort);
            this.release(index);
          }
        });
      },
    };
  }
}

function bindUdp(host: string, port: number, logger: Logger | undefined): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const onError = (): void => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onError);
    socket.once('listening', () => {
      socket.off('error', onError);
      // A socket error after binding (e.g. ICMP-driven) must never crash the process or other calls.
      socket.on('error', (err) => logger?.warn({ err, port }, 'media socket error'));
      resolve(socket);
    });
    socket.bind(port, host);
  });
}

function closeQuietly(socket: dgram.Socket, logger: Logger | undefined, port: number): void {
  try {
    socket.close();
  } catch (err) {
    logger?.debug({ err, port }, 'media socket already closed');
  }
}
