/**
 * The floor: the least a Node process must do to carry the same calls. It answers each INVITE minimally (a 200
 * accepting the offer's first format, whatever codec that is, on a fresh RTP socket, once its WebSocket to the echo
 * server is open, as the gateway opens its agent link before answering), sends each RTP packet's payload as one
 * binary WebSocket message, and sends every message that comes back to the caller as RTP at once, with the answered
 * payload type and the timestamp of the caller's packet it echoes (shifted by a constant): no codec, no
 * resampling, no jitter buffer, no pacing, no speech detection. BYE → 200. `GET /stats` gives
 * `{ hops: { uplinkMs, downlinkMs, wsRoundTripMs } }` measured inside the relay (RTP read → WebSocket send returned;
 * WebSocket message → RTP send returned; RTP read → its payload back from the echo server).
 *
 * Run: `node --import tsx bench/src/floor/relay.ts <echo-ws-url>`; prints `{"sipPort":…,"httpPort":…}` when ready.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:http';
import WebSocket from 'ws';
import { distribution, Samples } from '../stats.js';

const echoUrl = process.argv[2] ?? '';
const uplinkMs = new Samples(1 << 18);
const downlinkMs = new Samples(1 << 18);
const wsRoundTripMs = new Samples(1 << 18);

interface RelayCall {
  readonly rtp: Socket;
  readonly ws: WebSocket;
  readonly answer: string;
  close(): void;
}

/** The offer's first audio format: its payload type and its `a=rtpmap` / `a=fmtp` lines, copied as they are. */
function firstFormat(sdp: string): { payloadType: number; lines: string[] } {
  const payloadType = Number(/^m=audio \d+ \S+ (\d+)/m.exec(sdp)?.[1] ?? 0);
  const lines = sdp.split(/\r?\n/).filter((l) => l.startsWith(`a=rtpmap:${payloadType} `) || l.startsWith(`a=fmtp:${payloadType} `));
  return { payloadType, lines };
}

const calls = new Map<string, RelayCall | 'pending'>();
const sip = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
sip.on('error', () => undefined);

function headerLines(text: string, names: readonly string[]): string[] {
  return text.split('\r\n').filter((line) => names.includes(line.slice(0, line.indexOf(':')).trim().toLowerCase()));
}

function headerValue(text: string, name: string): string {
  const line = text.split('\r\n').find((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === name);
  return line === undefined ? '' : line.slice(line.indexOf(':') + 1).trim();
}

function reply(to: { port: number; address: string }, request: string, status: string, extra: readonly string[], body = ''): void {
  const copied = headerLines(request, ['via', 'from', 'call-id', 'cseq']);
  const toLine = headerLines(request, ['to'])[0] ?? 'To: <sip:unknown@127.0.0.1>';
  const text = [`SIP/2.0 ${status}`, ...copied, toLine, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  sip.send(text, to.port, to.address);
}

async function openCall(request: string, from: { port: number; address: string }): Promise<RelayCall> {
  const body = request.slice(request.indexOf('\r\n\r\n') + 4);
  const callerPort = Number(/^m=audio (\d+)/m.exec(body)?.[1] ?? 0);
  const callerAddress = /^c=IN IP4 (\S+)/m.exec(body)?.[1] ?? from.address;
  const rtp = createSocket({ type: 'udp4', recvBufferSize: 256 << 10 });
  await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', () => resolve()));
  const ws = new WebSocket(echoUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const format = firstFormat(body);
  // Arrival time and RTP timestamp of each caller packet whose payload is at the echo server, oldest first.
  const inFlight: number[] = [];
  const inFlightTs: number[] = [];
  const ssrc = randomInt(1, 0xffffffff);
  let seq = randomInt(0, 0x10000);
  const tsShift = randomInt(0, 0x1_0000_0000);
  let ts = tsShift;
  rtp.on('error', () => undefined);
  rtp.on('message', (msg: Buffer) => {
    const arrival = performance.now();
    if (msg.length <= 12 || ws.readyState !== WebSocket.OPEN) return;
    ws.send(msg.subarray(12), { binary: true });
    uplinkMs.push(performance.now() - arrival);
    if (inFlight.length < 1_000) {
      inFlight.push(arrival);
      inFlightTs.push(msg.readUInt32BE(4));
    }
  });
  ws.on('message', (data: Buffer) => {
    const at = performance.now();
    const sentAt = inFlight.shift();
    const callerTs = inFlightTs.shift();
    if (sentAt !== undefined) wsRoundTripMs.push(at - sentAt);
    if (callerTs !== undefined) ts = (callerTs + tsShift) >>> 0;
    const packet = Buffer.allocUnsafe(12 + data.length);
    packet[0] = 0x80;
    packet[1] = format.payloadType & 0x7f;
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE(ts, 4);
    packet.writeUInt32BE(ssrc, 8);
    data.copy(packet, 12);
    seq = (seq + 1) & 0xffff;
    rtp.send(packet, callerPort, callerAddress);
    downlinkMs.push(performance.now() - at);
  });
  ws.on('error', () => ws.terminate());
  const port = rtp.address().port;
  const sdp = ['v=0', `o=floor ${randomInt(1, 2 ** 31)} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP ${format.payloadType}`, ...format.lines, 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
  const tag = randomBytes(4).toString('hex');
  const copied = headerLines(request, ['via', 'from', 'call-id', 'cseq']);
  const answer = [`SIP/2.0 200 OK`, ...copied, `To: ${headerValue(request, 'to')};tag=${tag}`,
    `Contact: <sip:floor@127.0.0.1:${sip.address().port}>`, 'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp].join('\r\n');
  let closed = false;
  return {
    rtp, ws, answer,
    close() {
      if (closed) return;
      closed = true;
      rtp.close();
      ws.terminate();
    },
  };
}

sip.on('message', (raw: Buffer, rinfo) => {
  const text = raw.toString('latin1');
  const method = /^([A-Z]+) \S+ SIP\/2\.0/.exec(text)?.[1];
  if (method === undefined || method === 'ACK') return;
  const callId = headerValue(text, 'call-id');
  const from = { port: rinfo.port, address: rinfo.address };
  if (method === 'INVITE') {
    const known = calls.get(callId);
    if (known === 'pending') return;
    if (known !== undefined) {
      sip.send(known.answer, from.port, from.address);
      return;
    }
    calls.set(callId, 'pending');
    reply(from, text, '100 Trying', []);
    openCall(text, from).then(
      (call) => {
        calls.set(callId, call);
        sip.send(call.answer, from.port, from.address);
      },
      () => {
        calls.delete(callId);
        reply(from, text, '503 Service Unavailable', []);
      },
    );
    return;
  }
  if (method === 'BYE') {
    const call = calls.get(callId);
    if (call !== undefined && call !== 'pending') call.close();
    calls.delete(callId);
  }
  reply(from, text, method === 'BYE' || method === 'OPTIONS' ? '200 OK' : '501 Not Implemented', []);
});

const http = createServer((req, res) => {
  if (req.url === '/stats') {
    const body = { hops: { uplinkMs: distribution(uplinkMs.view()), downlinkMs: distribution(downlinkMs.view()), wsRoundTripMs: distribution(wsRoundTripMs.view()) } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return;
  }
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
});

await new Promise<void>((resolve) => sip.bind(0, '127.0.0.1', () => resolve()));
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
const httpAddress = http.address();
process.stdout.write(`${JSON.stringify({ sipPort: sip.address().port, httpPort: typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : 0 })}\n`);

const stop = (): void => {
  for (const call of calls.values()) if (call !== 'pending') call.close();
  sip.close();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
