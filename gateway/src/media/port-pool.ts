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
    super(`no free RTP port pair in ${min}-${max}`);
  }
}

export interface PortPoolOptions {
  host: string;
  portMin: number;
  portMax: number;
  logger?: Logger;
}

/**
 * Hands out even RTP ports (RTCP on port + 1) from a configured range, binding both sockets so the port we
 * advertise in SDP is really ours. Allocation walks the range round-robin, so a just-released pair is not
 * reused at once (late packets of the old call must not land in a new one).
 */
export class PortPool {
  private readonly inUse = new Set<number>();
  private next: number;
  private readonly first: number;
  private readonly pairs: number;

  constructor(private readonly options: PortPoolOptions) {
    this.first = options.portMin % 2 === 0 ? options.portMin : options.portMin + 1;
    this.pairs = Math.max(0, Math.floor((options.portMax - this.first + 1) / 2));
    this.next = 0;
  }

  get allocated(): number {
    return this.inUse.size;
  }

  get capacity(): number {
    return this.pairs;
  }

  async allocate(): Promise<MediaPorts> {
    for (let tried = 0; tried < this.pairs; tried++) {
      const rtpPort = this.first + 2 * this.next;
      this.next = (this.next + 1) % this.pairs;
      if (this.inUse.has(rtpPort)) continue;
      this.inUse.add(rtpPort);
      const pair = await this.bindPair(rtpPort);
      if (pair) return pair;
      this.inUse.delete(rtpPort);
    }
    throw new PortPoolExhaustedError(this.options.portMin, this.options.portMax);
  }

  private async bindPair(rtpPort: number): Promise<MediaPorts | undefined> {
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
          rtp.close();
          rtcp.close();
          this.inUse.delete(rtpPort);
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
