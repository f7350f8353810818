/**
 * A SIP peer over one stream connection (TCP, or TLS with the gateway's certificate verified by the caller's
 * options): connected, every message it receives framed and parsed into `received`, socket errors swallowed (tests
 * look at what arrived).
 */
import net from 'node:net';
import tls from 'node:tls';
import { StreamFramer } from '../../src/sip/transport/stream-framer.js';
import { parseSip, type SipMessage } from './sip-text.js';

export interface StreamSipPeer {
  readonly received: SipMessage[];
  readonly localPort: number;
  send(data: string | Buffer): void;
  close(): void;
}

/** Connects over TCP, or over TLS when `tlsOptions` is given (resolved at `secureConnect`). */
export async function streamSipPeer(host: string, port: number, tlsOptions?: tls.ConnectionOptions): Promise<StreamSipPeer> {
  const socket = tlsOptions === undefined ? net.connect({ host, port }) : tls.connect({ host, port, ...tlsOptions });
  await new Promise<void>((resolve, reject) => {
    socket.once(tlsOptions === undefined ? 'connect' : 'secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const received: SipMessage[] = [];
  const framer = new StreamFramer(65_535);
  socket.on('data', (chunk: Buffer) => {
    for (const buf of framer.push(chunk).messages) {
      const m = parseSip(buf.toString('latin1'));
      if (m) received.push(m);
    }
  });
  return { received, localPort: socket.localPort ?? 0, send: (data) => void socket.write(data), close: () => socket.destroy() };
}
