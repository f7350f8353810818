/**
 * The far end for `ws-write.ts`: a WebSocket server on 127.0.0.1 that reads and discards every message (its CPU is
 * not the measured process's). Prints `{"port":N}` when listening; exits when its parent closes stdin.
 */
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
let messages = 0;
server.on('connection', (ws) => {
  ws.on('message', () => {
    messages++;
  });
});
server.on('listening', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
process.stdin.on('data', () => process.stdout.write(`${JSON.stringify({ messages })}\n`));
process.stdin.on('end', () => process.exit(0));
