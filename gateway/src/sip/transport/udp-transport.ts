/**
 * The UDP socket: bind, send, close. Parsing and policy live in the transport layer; this file only moves
 * datagrams and never lets a socket error escape.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';
import { normalizeAddress, type RemoteInfo } from './types.js';

/**
 * SO_RCVBUF asked for the SIP socket (the kernel caps it at net.core.rmem_max, silently). Linux's default (~208 KiB,
 * ~160 SIP datagrams) fills in ~30 ms of a 5,000/s flood while the process is descheduled, and then a carrier's
 * INVITE is lost in the kernel before the edge can drop the flood cheaply; 4 MiB holds about half a second of it.
 */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpTransportOptions {
  readonly logger: Logger;
  readonly onDatagram: (buf: Buffer, remote: RemoteInfo) => void;
}

export class UdpTransport {
  private socket: dgram.Socket | undefined;
  private boundPort: number | undefined;

  constructor(private readonly options: UdpTransportOptions) {}

  get port(): number | undefined {
    return this.boundPort;
  }

  /** Binds and resolves with the bound port. */
  bind(host: string, port: number): Promise<number> {
    const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: RECV_BUFFER_BYTES });
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(new SipTransportError(`cannot bind UDP ${host}:${port}`, SipTransportErrorCode.NotListening, err));
      };
      socket.once('error', onError);
      socket.bind(port, host, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.options.logger.warn({ err }, 'UDP socket error'));
        socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
        this.socket = socket;
        this.boundPort = socket.address().port;
        resolve(this.boundPort);
      });
    });
  }

  send(buf: Buffer, address: string, port: number): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) {
      return Promise.reject(new SipTransportError('UDP not listening', SipTransportErrorCode.NotListening));
    }
    return new Promise<void>((resolve, reject) => {
      try {
        socket.send(buf, port, address, (err) => {
          if (err) reject(new SipTransportError(`UDP send to ${address}:${port}`, SipTransportErrorCode.SendFailed, err));
          else resolve();
        });
      } catch (err) {
        reject(new SipTransportError(`UDP send to ${address}:${port}`, SipTransportErrorCode.SendFailed, err));
      }
    });
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      this.options.onDatagram(msg, { transport: 'udp', address: normalizeAddress(rinfo.address), port: rinfo.port });
    } catch (err) {
      this.options.logger.error({ err }, 'UDP datagram handler threw');
    }
  }
}
