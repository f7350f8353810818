/**
 * A webhook receiver on 127.0.0.1:0 that verifies every request with the `standardwebhooks` library (as a user's
 * receiver would), answers as `behave` says (status, delay, or never), and keeps what it saw: every request, the
 * concurrency reached, and per `webhook-id` the 2xx answers it gave.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  id: string;
  timestamp: string;
  body: string;
  /** Webhook.verify accepted the signature and timestamp. */
  verified: boolean;
  /** What we answered (0: nothing, the request hung). */
  status: number;
  /** performance.now() when it arrived. */
  atMs: number;
  /** 1 for the first request with this id, 2 for the second, ... */
  nth: number;
}

export interface Behaviour {
  status?: number;
  delayMs?: number;
  /** Never answer (the sender's timeout). */
  hang?: boolean;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** 2xx answers given per webhook-id. */
  readonly delivered: Map<string, number>;
  readonly peakConcurrent: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string, behave: (r: { id: string; nth: number }) => Behaviour = () => ({})): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const requests: ReceivedRequest[] = [];
  const delivered = new Map<string, number>();
  const seen = new Map<string, number>();
  const hung = new Set<ServerResponse>();
  let concurrent = 0;
  let peakConcurrent = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    concurrent++;
    peakConcurrent = Math.max(peakConcurrent, concurrent);
    res.on('close', () => void concurrent--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (n: string): string => String(req.headers[n] ?? '');
      const id = header('webhook-id');
      let verified = true;
      try {
        verifier.verify(body, { 'webhook-id': id, 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') });
      } catch {
        verified = false;
      }
      const nth = (seen.get(id) ?? 0) + 1;
      seen.set(id, nth);
      const b = verified ? behave({ id, nth }) : { status: 401 };
      const entry: ReceivedRequest = { id, timestamp: header('webhook-timestamp'), body, verified, status: 0, atMs: performance.now(), nth };
      requests.push(entry);
      if (b.hang === true) {
        hung.add(res);
        return;
      }
      const answer = (): void => {
        const status = b.status ?? 204;
        entry.status = status;
        if (status >= 200 && status < 300) delivered.set(id, (delivered.get(id) ?? 0) + 1);
        res.writeHead(status).end();
      };
      if (b.delayMs === undefined) answer();
      else setTimeout(answer, b.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/hooks`,
    requests,
    delivered,
    get peakConcurrent() {
      return peakConcurrent;
    },
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Standard Webhooks secret for tests (fixed bytes, valid format). */
export const TEST_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
