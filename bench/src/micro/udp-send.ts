/**
 * Micro-benchmark: what one outgoing RTP packet costs the sending process, from `RtpEndpoint.sendRtp` to the socket.
 * Run from the repo root: `npx tsx bench/src/micro/udp-send.ts [rounds]`.
 *
 * C endpoints each send one 172-byte packet per round (one 20 ms tick of C calls) to a sink in another process, then
 * the event loop turns (dgram's lookup tick and completion callbacks run, as they do between media-clock ticks);
 * rounds are paced at one per 5 ms. Printed: this process's CPU (user + system) per packet; the variants take turns
 * in every round, each going first in turn (the first one after the pause pays the timer's wake-up):
 * - gateway: the real RtpEndpoint over the real UdpPacketTransport and PortPool sockets (dgram's default lookup:
 *   even an IP literal is answered on the next tick; a completion callback per send);
 * - the same JS path (its `{address, port}` and two closures per packet) on a socket bound here, and on pool sockets;
 * - floor: what the floor relay does, `socket.send(bytes, port, address)` with no callback.
 * Finding (bench/results/2026-12-07-hot-path.md): the send is the system call; the JS around it is within noise.
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

/** The gateway's send path as written in rtp-endpoint.ts + udp-packet-transport.ts, over any socket. */
class SendPath {
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

  const own = await Promise.all(Array.from({ length: ENDPOINTS }, async () => new SendPath(await bindDefault(), target)));
  const pool = new PortPool({ host: '127.0.0.1', portMin: 40_000, portMax: 40_000 + 8 * ENDPOINTS + 8, logger: silentLogger });
  const allPorts = await Promise.all(Array.from({ length: ENDPOINTS }, () => pool.allocate()));
  const handlers = { onRtp: () => undefined, onRtcp: () => undefined };
  const gateway = allPorts.map((p) => new RtpEndpoint(new UdpPacketTransport(p), target, new Set([0]), handlers, silentLogger, { policy: 'any' }));
  const onPool = (await Promise.all(Array.from({ length: ENDPOINTS }, () => pool.allocate()))).map((p) => new SendPath(p.rtp, target));
  const floor = await Promise.all(Array.from({ length: ENDPOINTS }, () => bindDefault()));

  const variants: { label: string; round: () => void }[] = [
    { label: 'gateway: RtpEndpoint → UdpPacketTransport → pool socket', round: () => { for (const e of gateway) e.sendRtp(packet); } },
    { label: 'same JS path, socket bound here', round: () => { for (const e of own) e.sendRtp(packet); } },
    { label: 'same JS path, pool sockets', round: () => { for (const e of onPool) e.sendRtp(packet); } },
    { label: 'floor relay: socket.send(bytes, port, address)', round: () => { for (const s of floor) s.send(packet, port, '127.0.0.1'); } },
  ];
  // Variants take turns within every round (each followed by a turn of the event loop, where dgram's ticks and
  // callbacks run), so a busy neighbour on a shared machine weighs on all of them alike.
  const cpuUs = variants.map(() => 0);
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  for (let r = -rounds / 10; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (k + Math.max(r, 0)) % variants.length; // each variant goes first in turn (the first pays the timer's wake-up)
      const variant = variants[v];
      if (variant === undefined) continue;
      const t0 = process.cpuUsage();
      variant.round();
      await settle();
      const used = process.cpuUsage(t0);
      if (r >= 0) cpuUs[v] = (cpuUs[v] ?? 0) + used.user + used.system;
    }
    await sleep(PACE_MS);
  }
  const errors = own.reduce((n, e) => n + e.sendErrors, 0) + gateway.reduce((n, e) => n + e.stats.sendErrors, 0);
  console.log(`udp-send: ${ENDPOINTS} endpoints, ${rounds} rounds per variant (one every ${PACE_MS} ms), variants interleaved; send errors: ${errors}`);
  for (const [v, variant] of variants.entries()) {
    console.log(`  ${variant.label.padEnd(60)} ${((cpuUs[v] ?? 0) / (rounds * ENDPOINTS)).toFixed(2).padStart(7)} µs CPU per packet`);
  }
  for (const e of gateway) e.close();
  for (const p of allPorts) p.close();
  for (const e of own) (e as unknown as { socket: dgram.Socket }).socket.close();
  for (const s of floor) s.close();
  sink.stdin.end();
}

await main();
