/**
 * Agent URLs no link can connect to, one for each failure a link must tell apart: `refused` answers the upgrade
 * with HTTP 401, `unreachable` is a loopback port nobody listens on, and `silent` accepts TCP but never answers
 * the upgrade (the handshake times out).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { startWsAgentServer } from './ws-agent-server.js';

export interface FailingAgents {
  readonly refused: string;
  readonly unreachable: string;
  readonly silent: string;
  close(): Promise<void>;
}

export async function startFailingAgents(): Promise<FailingAgents> {
  const refusing = await startWsAgentServer(() => undefined, { verify: () => false });
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  const silentPort = await listen(silent);
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return {
    refused: refusing.url,
    unreachable: `ws://127.0.0.1:${closedPort}/`,
    silent: `ws://127.0.0.1:${silentPort}/`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      await refusing.close();
    },
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
