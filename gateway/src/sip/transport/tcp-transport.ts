/**
 * TCP (RFC 3261 §18): the shared stream transport (stream-transport.ts: limits, framing, connection reuse) over
 * plain sockets, ready to carry SIP as soon as they connect.
 */
import net from 'node:net';
import { StreamTransport, type StreamSockets, type StreamTransportOptions } from './stream-transport.js';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';

const TCP_SOCKETS: StreamSockets = {
  transport: 'tcp',
  secure: (raw, ready) => ready(raw),
  open: (target) => ({ socket: net.connect({ host: target.address, port: target.port }), readyEvent: 'connect' }),
  openFailed: (err, target) => new SipTransportError(`TCP connect to ${target.address}|${target.port}`, SipTransportErrorCode.SendFailed, err),
};

export type TcpTransportOptions = StreamTransportOptions;

export class TcpTransport extends StreamTransport {
  constructor(options: TcpTransportOptions) {
    super(TCP_SOCKETS, options);
  }
}
