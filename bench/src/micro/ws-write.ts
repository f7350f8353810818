/**
 * Micro-benchmark: what one uplink WebSocket message costs the sending process. Run from the repo root:
 * `npx tsx bench/src/micro/ws-write.ts [rounds]`.
 *
 * A sink process (ws-sink.ts) reads C connections; this process is the client, as the gateway is (it dials the
 * agent, so RFC 6455 makes it mask every frame). Each round sends one message on every connection, as one 20 ms
 * tick of C calls does, then yields to the event loop; rounds are paced at one per 5 ms (C × 200 messages/s).
 * Printed: this process's CPU (user + system, `process.cpuUsage`) per message for each variant, the variants taking
 * turns within every round. The floor relay's message (160 bytes of PCMU) is a variant, so "does the floor pay the
 * same per write" is answered in the same run. `frame()` alone (header + mask, no socket) is timed separately.
 * ws masks with the `bufferutil` addon when it loads (a gateway dependency); `WS_NO_BUFFER_UTIL=1` makes ws use its
 * own JavaScript loop instead, so running both back to back measures what the addon saves.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const rounds = Number(process.argv[2] ?? 400);
const CONNECTIONS = 50;
const PACE_MS = 5;

interface Variant {
  readonly label: string;
  /** Sends one round (one message per connection); returns the messages it sent. */
  send(sockets: readonly WebSocket[], round: number): number;
}

const pcm24k = Array.from({ length: 8 }, (_, k) => Int16Array.from({ length: 480 }, (_, i) => Math.round(8000 * Math.sin((i + k) / 7))));
const pcmu = Array.from({ length: 8 }, (_, k) => Buffer.alloc(160, 0x55 + k));

const variants: Variant[] = [
  {
    label: 'floor relay: 160 B (PCMU payload), one write each',
    send(sockets, round) {
      const payload = pcmu[round % pcmu.length] ?? Buffer.alloc(160);
      for (const ws of sockets) ws.send(payload, { binary: true });
      return sockets.length;
    },
  },
  {
    label: 'gateway: 960 B (24 kHz PCM16 view), one write each',
    send(sockets, round) {
      const frame = pcm24k[round % pcm24k.length] ?? new Int16Array(480);
      for (const ws of sockets) ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
      return sockets.length;
    },
  },
];

async function main(): Promise<void> {
  const sink = spawn(process.execPath, ['--import', 'tsx', new URL('./ws-sink.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: sink.stdout });
  const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  const { port } = JSON.parse(await nextLine()) as { port: number };
  const sockets = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })),
  );

  // header + mask only, no socket: what `frame()` costs per message of each size
  const Sender = (createRequire(import.meta.url)('ws') as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } }).Sender;
  const frameOptions = { fin: true, mask: true, opcode: 0x02, readOnly: true, rsv1: false };
  const b160 = Buffer.alloc(160, 1);
  const b960 = Buffer.alloc(960, 1);
  const frame160 = cpuUsPerCall(200_000, () => Sender.frame(b160, frameOptions).length);
  const frame960 = cpuUsPerCall(200_000, () => Sender.frame(b960, frameOptions).length);

  // Variants take turns within every round (each followed by a turn of the event loop), so a busy neighbour on a
  // shared machine weighs on all of them alike.
  const cpuUs = variants.map(() => 0);
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  let sent = 0;
  for (let r = -Math.ceil(rounds / 10); r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (k + Math.max(r, 0)) % variants.length; // each variant goes first in turn (the first pays the timer's wake-up)
      const variant = variants[v];
      if (variant === undefined) continue;
      const t0 = process.cpuUsage();
      sent += variant.send(sockets, r);
      await settle();
      const used = process.cpuUsage(t0);
      if (r >= 0) cpuUs[v] = (cpuUs[v] ?? 0) + used.user + used.system;
    }
    await sleep(PACE_MS);
  }
  sink.stdin.write('count\n');
  const { messages: received } = JSON.parse(await nextLine()) as { messages: number };
  for (const ws of sockets) ws.close();
  sink.stdin.end();

  console.log(`ws-write: ${CONNECTIONS} connections, ${rounds} rounds (one every ${PACE_MS} ms), variants interleaved`);
  console.log(`  frame() alone (header + mask, no socket): 160 B ${frame160.toFixed(2)} µs, 960 B ${frame960.toFixed(2)} µs`);
  for (const [v, variant] of variants.entries()) {
    console.log(`  ${variant.label.padEnd(60)} ${((cpuUs[v] ?? 0) / (rounds * CONNECTIONS)).toFixed(2).padStart(7)} µs CPU per message`);
  }
  console.log(`  (sink received ${received} of ${sent} messages; ws masks with ${hasBufferUtil() && process.env['WS_NO_BUFFER_UTIL'] === undefined ? 'bufferutil (native)' : 'its own JS loop (WS_NO_BUFFER_UTIL set, or bufferutil absent)'})`);
}

/** CPU µs (user + system) per call of `fn`, after a warm-up of the same count. */
function cpuUsPerCall(calls: number, fn: () => number): number {
  let kept = 0;
  for (let i = 0; i < calls; i++) kept += fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) kept += fn();
  const used = process.cpuUsage(t0);
  if (kept === 0) throw new Error('nothing ran');
  return (used.user + used.system) / calls;
}

function hasBufferUtil(): boolean {
  try {
    createRequire(createRequire(import.meta.url).resolve('ws'))('bufferutil');
    return true;
  } catch {
    return false;
  }
}

await main();
