/**
 * Micro-benchmark: what one outgoing RTP packet costs the sending process, from `RtpEndpoint.sendRtp` to the socket.
 * Run from the repo root: `npx tsx bench/src/micro/udp-send.ts [rounds]`.
 *
 * C endpoints each send one 172-byte packet per round (one 20 ms tick of C calls) to a sink in another process, then
 * the event loop turns (dgram's ticks and callbacks run, as they do between media-clock ticks); rounds are paced at
 * one per 5 ms. Printed: this process's CPU (user + system) per packet, the variants taking turns in every round:
 * - before (the send path as it was, kept here): a `{address, port}` and two closures per packet, and a socket with
 *   dgram's default lookup (`dns.lookup`: even an IP literal is answered on the next tick);
 * - after: the real RtpEndpoint over the real UdpPacketTransport and PortPool sockets (IP-literal lookup, no
 *   per-packet closure);
 * - floor: what the floor relay does, `socket.send(bytes, port, address)` with no callback on a default socket.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../gateway/src/logger.js';
import { PortPool } from '../../../gateway/src/media/port-pool.js';
import { RtpEndpoint } from '../../../gateway/src/media/rtp-endpoint.js';
import { UdpPacketTransport } from '../../../gateway/src/media/udp-packet-transport.js';

const rounds = Number(process.argv[2] ?? 400);
const ENDPOINTS = 50;
const PACE_MS = 5;

/** The send path before this change, as it was in rtp-endpoint.ts + udp-packet-transport.ts. */
class BeforeEndpoint {
  sent = 0;
  sendErrors = 0;
  constructor(
    private readonly socket: dgram.Socket,
    private readonly target: { address: string; rtpPort: number },
  ) {}
  get destination(): { address: string; port: number } {
    return { address: this.target.address, port: this.target.rtpPort };
  }
  sendRtp(bytes: Uint8Array): void {
    const to = this.destination;
    this.sent++;
    this.send(bytes, to, (err) => this.sendFailed(err, to));
  }
  private send(bytes: Uint8Array, to: { address: string; port: number }, onError: (err: unknown) => void): void {
    try {
      this.socket.send(bytes, to.port, to.address, (err) => {
        if (err) onError(err);
      });
    } catch (err) {
      onError(err);
    }
  }
  private sendFailed(_err: unknown, _to: { address: string; port: number }): void {
    this.sendErrors++;
  }
}

async function bindDefault(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

async function main(): Promise<void> {
  const sink = spawn(process.execPath, ['-e', "const s=require('dgram').createSocket({type:'udp4',recvBufferSize:1<<22});s.on('message',()=>{});s.bind(0,'127.0.0.1',()=>console.log(s.address().port));process.stdin.on('end',()=>process.exit(0));process.stdin.resume();"], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = Number(await new Promise<string>((resolve) => createInterface({ input: sink.stdout }).once('line', resolve)));
  const target = { address: '127.0.0.1', rtpPort: port, rtcpPort: port };
  const packet = new Uint8Array(172);
  packet[0] = 0x80;

  const before = await Promise.all(Array.from({ length: ENDPOINTS }, async () => new BeforeEndpoint(await bindDefault(), target)));
  const pool = new PortPool({ host: '127.0.0.1', portMin: 40_000, portMax: 40_000 + 4 * ENDPOINTS + 8, logger: silentLogger });
  const allPorts = await Promise.all(Array.from({ length: ENDPOINTS }, () => pool.allocate()));
  const handlers = { onRtp: () => undefined, onRtcp: () => undefined };
  const after = allPorts.map((p) => new RtpEndpoint(new UdpPacketTransport(p), target, new Set([0]), handlers, silentLogger, { policy: 'any' }));
  const floor = await Promise.all(Array.from({ length: ENDPOINTS }, () => bindDefault()));

  const variants: { label: string; round: () => void }[] = [
    { label: 'before: closures + dns.lookup tick per packet', round: () => { for (const e of before) e.sendRtp(packet); } },
    { label: 'after: RtpEndpoint → UdpPacketTransport (literal lookup)', round: () => { for (const e of after) e.sendRtp(packet); } },
    { label: 'floor relay: socket.send(bytes, port, address)', round: () => { for (const s of floor) s.send(packet, port, '127.0.0.1'); } },
  ];
  // Variants take turns within every round (each followed by a turn of the event loop, where dgram's ticks and
  // callbacks run), so a busy neighbour on a shared machine weighs on all of them alike.
  const cpuUs = variants.map(() => 0);
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  for (let r = -rounds / 10; r < rounds; r++) {
    for (const [v, variant] of variants.entries()) {
      const t0 = process.cpuUsage();
      variant.round();
      await settle();
      const used = process.cpuUsage(t0);
      if (r >= 0) cpuUs[v] = (cpuUs[v] ?? 0) + used.user + used.system;
    }
    await sleep(PACE_MS);
  }
  const errors = before.reduce((n, e) => n + e.sendErrors, 0) + after.reduce((n, e) => n + e.stats.sendErrors, 0);
  console.log(`udp-send: ${ENDPOINTS} endpoints, ${rounds} rounds per variant (one every ${PACE_MS} ms), variants interleaved; send errors: ${errors}`);
  for (const [v, variant] of variants.entries()) {
    console.log(`  ${variant.label.padEnd(60)} ${((cpuUs[v] ?? 0) / (rounds * ENDPOINTS)).toFixed(2).padStart(7)} µs CPU per packet`);
  }
  for (const e of after) e.close();
  for (const p of allPorts) p.close();
  for (const e of before) (e as unknown as { socket: dgram.Socket }).socket.close();
  for (const s of floor) s.close();
  sink.stdin.end();
}

await main();
