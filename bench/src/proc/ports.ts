/** Free loopback ports, asked of the OS (bind port 0, read it, release it). */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port range, both ends included. */
export interface PortSpan {
  readonly low: number;
  readonly high: number;
}

/** Linux's default ephemeral range, used where /proc cannot be read (IANA's, 49152–65535, is inside it but for the top). */
const LINUX_EPHEMERAL: PortSpan = { low: 32768, high: 60999 };
const LOWEST_MEDIA_PORT = 10_000;
const HIGHEST_PORT = 65_535;

/** `ip_local_port_range`'s text ("32768\t60999") → the range; undefined for anything else. */
export function parseEphemeralRange(text: string): PortSpan | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (m === null) return undefined;
  const low = Number(m[1]);
  const high = Number(m[2]);
  return low >= 1 && low <= high && high <= HIGHEST_PORT ? { low, high } : undefined;
}

/** The ports the kernel hands out for `bind(0)` (the load generator's RTP sockets, the agents' and SIP sockets). */
export function ephemeralPortRange(): PortSpan {
  try {
    return parseEphemeralRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')) ?? LINUX_EPHEMERAL;
  } catch {
    return LINUX_EPHEMERAL;
  }
}

/**
 * A media port range of `size` ports (even start) for the gateway under test, clear of the ephemeral range and of
 * its top + 1. The load generator's RTP sockets bind ephemeral ports and the gateway sends its RTCP to such a port
 * + 1 (no `a=rtcp-mux` in the offer): inside the gateway's range, that RTCP would land on another call's gateway port,
 * which refuses it (SRTCP with that call's key fails `auth`; plain RTCP from a stranger is `foreign`) and so puts
 * noise in the run's refusal counts. Below the ephemeral range when it fits (from 10000), else above it; where the
 * ephemeral range leaves no room, anywhere in 10000–65535 (the gateway skips pairs it cannot bind).
 */
export function mediaPortRange(size: number, ephemeral: PortSpan = ephemeralPortRange(), random: () => number = Math.random): { portMin: number; portMax: number } {
  const evenUp = (port: number): number => port + (port % 2);
  const gaps: PortSpan[] = [
    { low: LOWEST_MEDIA_PORT, high: ephemeral.low - 1 },
    { low: evenUp(ephemeral.high + 2), high: HIGHEST_PORT },
  ].filter((gap) => gap.high - evenUp(gap.low) + 1 >= size);
  const gap = gaps[Math.min(gaps.length - 1, Math.floor(random() * gaps.length))] ?? { low: LOWEST_MEDIA_PORT, high: HIGHEST_PORT };
  const first = evenUp(gap.low);
  const starts = Math.max(1, Math.floor((gap.high - size + 1 - first) / 2) + 1);
  const start = first + 2 * Math.min(starts - 1, Math.floor(random() * starts));
  return { portMin: start, portMax: start + size - 1 };
}
