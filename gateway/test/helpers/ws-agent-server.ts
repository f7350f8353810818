/**
 * A bare WebSocket endpoint on 127.0.0.1 (an OS-chosen port) for tests that play an agent or a Twilio bot: each
 * accepted upgrade goes to `onConnection`. A plain HTTP request gets 426, an upgrade to another path than `path`
 * 404, and one that `verify` refuses 401. `close()` ends the connections still open.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';

export interface WsAgentServerOptions {
  /** The only path upgrades are accepted on, and the end of `url`; any path when unset. */
  path?: string;
  /** Asked at each upgrade: false refuses it with HTTP 401. */
  verify?: () => boolean;
  /** Serve `wss://` with this certificate and key (PEM text), e.g. makeTestPki()'s server pair. */
  tls?: { cert: string; key: string };
}

export interface WsAgentServer {
  /** `ws://127.0.0.1:PORT` (`wss://` with `tls`), then `path` when one was given. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startWsAgentServer(
  onConnection: (ws: WebSocket, req: IncomingMessage) => void,
  options: WsAgentServerOptions = {},
): Promise<WsAgentServer> {
  const { path, verify, tls } = options;
  const refuse = (_req: IncomingMessage, res: ServerResponse): void => void res.writeHead(426).end();
  const http = tls === undefined ? createServer(refuse) : createHttpsServer({ cert: tls.cert, key: tls.key }, refuse);
  const wss = new WebSocketServer({
    noServer: true,
    ...(verify ? { verifyClient: (_info: unknown, done: (ok: boolean, code?: number) => void) => done(verify(), 401) } : {}),
  });
  wss.on('connection', onConnection);
  http.on('upgrade', (req, socket, head) => {
    if (path !== undefined && req.url?.split('?')[0] !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('ws agent server has no port');
  return {
    url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${address.port}${path ?? ''}`,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
