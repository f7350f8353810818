/**
 * The bench's webhook receiver, in its own process (its CPU is not the gateway's): answers every POST 204 at once
 * and counts deliveries by event type (the envelope's `type`) and distinct `webhook-id`. `GET /counts` reads them.
 * Prints one JSON line `{ url, countsUrl }` once listening; stops on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkCounts {
  /** POSTs received (retries included). */
  readonly requests: number;
  /** Distinct `webhook-id`s: deliveries. */
  readonly deliveries: number;
  /** Distinct deliveries per envelope `type`. */
  readonly byType: Readonly<Record<string, number>>;
}

const ids = new Set<string>();
const byType: Record<string, number> = {};
let requests = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/counts') {
    const counts: SinkCounts = { requests, deliveries: ids.size, byType };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string' && !ids.has(id)) {
      ids.add(id);
      let type = 'unknown';
      try {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['type'] === 'string') type = (body as Record<string, string>)['type'] ?? type;
      } catch {
        // counted as unknown
      }
      byType[type] = (byType[type] ?? 0) + 1;
    }
    res.writeHead(204).end();
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, countsUrl: `http://127.0.0.1:${port}/counts` })}\n`);
});
const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
