/** Free loopback ports, asked of the OS (bind port 0, read it, release it). */
import { createSocket } from 'node:dgram';
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

/** A media port range of `size` ports (even start) that no UDP socket of ours holds right now, in 30000–59999. */
export async function mediaPortRange(size: number): Promise<{ portMin: number; portMax: number }> {
  const start = 30_000 + 2 * Math.floor(Math.random() * ((30_000 - size) / 2));
  return { portMin: start, portMax: start + size - 1 };
}
