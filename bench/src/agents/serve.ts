/**
 * The bench's agents process: the echo, turn and talker agents over protocol v1 (`serveAgent`), and a bare
 * WebSocket echo server (every message sent straight back) for the floor relay. Prints one JSON line with the four
 * URLs and `countsUrl` once listening; stops on SIGTERM/SIGINT. `GET <countsUrl>`: the samples (24 kHz) each agent
 * has sent so far, `{ "echo": n, "turn": n, "talker": n }` (the ramp diffs two reads to get a window's).
 */
import { createServer } from 'node:http';
import { serveAgent } from '@patchbay/agents';
import { WebSocketServer } from 'ws';
import { benchEchoAgent } from './echo-agent.js';
import { countingAgent, type SentCounts } from './sent-counter.js';
import { talkerAgent } from './talker-agent.js';
import { turnAgent } from './turn-agent.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  const sent: SentCounts = {};
  const echo = await serveAgent(countingAgent('echo', benchEchoAgent, sent), { port: 0, logger: quiet });
  const turn = await serveAgent(countingAgent('turn', turnAgent, sent), { port: 0, logger: quiet });
  const talker = await serveAgent(countingAgent('talker', talkerAgent, sent), { port: 0, logger: quiet });
  const counts = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sent));
  });
  await new Promise<void>((resolve) => counts.listen(0, '127.0.0.1', () => resolve()));
  const countsAddress = counts.address();
  const countsPort = typeof countsAddress === 'object' && countsAddress !== null ? countsAddress.port : 0;
  const raw = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => raw.once('listening', () => resolve()));
  raw.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
  const address = raw.address();
  const rawPort = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ echoUrl: echo.url, turnUrl: turn.url, talkerUrl: talker.url, rawEchoUrl: `ws://127.0.0.1:${rawPort}/`, countsUrl: `http://127.0.0.1:${countsPort}/` })}\n`);
  const stop = (): void => {
    for (const ws of raw.clients) ws.terminate();
    raw.close();
    counts.close();
    Promise.all([echo.close(), turn.close(), talker.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench agents: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
