/**
 * Real loopback peers for transport and stack tests (not part of the public API): a UDP socket and a TCP
 * connection that queue what they receive and hand it out as promises.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { SipMessage } from '../message.js';
import { parseMessage } from '../parser.js';
import { StreamFramer } from './stream-framer.js';

class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  put(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve) => this.waiters.push(resolve));
  }

  get pending(): number {
    return this.items.length;
  }
}

export interface UdpPeer {
  readonly port: number;
  send(data: string | Buffer, port: number): Promise<void>;
  next(): Promise<SipMessage>;
  readonly pending: number;
  close(): Promise<void>;
}

export async function udpPeer(): Promise<UdpPeer> {
  const socket = dgram.createSocket('udp4');
  const inbox = new Inbox<SipMessage>();
  socket.on('message', (buf) => inbox.put(parseMessage(buf)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    send: (data, port) =>
      new Promise<void>((resolve, reject) =>
        socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1', (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    next: () => inbox.next(),
    get pending() {
      return inbox.pending;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface TcpPeer {
  readonly socket: net.Socket;
  readonly localPort: number;
  write(data: string | Buffer): Promise<void>;
  next(): Promise<SipMessage>;
  /** Resolves when the other side closes the connection. */
  readonly closed: Promise<void>;
  close(): void;
}

export async function tcpPeer(port: number): Promise<TcpPeer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return wrapTcp(socket);
}

export function wrapTcp(socket: net.Socket): TcpPeer {
  const inbox = new Inbox<SipMessage>();
  const framer = new StreamFramer(65_535);
  socket.on('data', (chunk: Buffer) => {
    for (const m of framer.push(chunk).messages) inbox.put(parseMessage(m, { datagram: false }));
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    localPort: socket.localPort ?? 0,
    write: (data) => new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve()))),
    next: () => inbox.next(),
    closed,
    close: () => socket.destroy(),
  };
}

export interface RawRequestSpec {
  method?: string;
  via: string;
  callId?: string;
  cseq?: number;
  body?: string;
  /** Leave Content-Length out. */
  noContentLength?: boolean;
  /** Replace the Content-Length value. */
  contentLength?: string;
}

/** A request as wire text. */
export function rawRequest(spec: RawRequestSpec): string {
  const method = spec.method ?? 'OPTIONS';
  const body = spec.body ?? '';
  const lines = [
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: ${spec.via}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=f1',
    'To: <sip:bob@example.com>',
    `Call-ID: ${spec.callId ?? 'c1'}`,
    `CSeq: ${spec.cseq ?? 1} ${method}`,
  ];
  if (!spec.noContentLength) lines.push(`Content-Length: ${spec.contentLength ?? String(Buffer.byteLength(body))}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
