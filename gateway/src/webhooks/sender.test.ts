/** The webhook sender over node:http against a real local server: redirects not followed, refused connections, keep-alive. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { WebhookSender } from './sender.js';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
let server: Server | undefined;
let sender: WebhookSender | undefined;

afterEach(async () => {
  sender?.close();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, connections: () => connections };
}

describe('WebhookSender', () => {
  it('POSTs the body signed (verifiable by standardwebhooks), over one kept-alive connection', async () => {
    const seen: { headers: Record<string, string>; body: string }[] = [];
    const { url, connections } = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    sender = new WebhookSender(2_000);
    for (let i = 0; i < 3; i++) {
      const result = await sender.send({ id: `msg_${i}`, url, secret: SECRET, body: `{"n":${i},"text":"héllo"}` }, Date.now());
      expect(result).toMatchObject({ ok: true, statusCode: 204, error: null });
    }
    expect(seen.map((s) => s.body)).toEqual(['{"n":0,"text":"héllo"}', '{"n":1,"text":"héllo"}', '{"n":2,"text":"héllo"}']);
    const first = seen[0];
    if (first === undefined) throw new Error('nothing received');
    expect(new Webhook(SECRET).verify(first.body, first.headers)).toEqual({ n: 0, text: 'héllo' });
    expect(connections()).toBe(1);
  });

  it('does not follow a redirect (bad_status with the 3xx), and reports a refused connection as connection_failed', async () => {
    const { url } = await serve((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end());
    sender = new WebhookSender(2_000);
    expect(await sender.send({ id: 'msg_r', url, secret: SECRET, body: '{}' }, Date.now())).toMatchObject({ ok: false, statusCode: 302, error: 'bad_status' });
    const refused = await sender.send({ id: 'msg_c', url: 'http://127.0.0.1:1/hook', secret: SECRET, body: '{}' }, Date.now());
    expect(refused).toMatchObject({ ok: false, statusCode: null, error: 'connection_failed' });
  });

  it('rejects when its signal aborts (shutdown), instead of reporting a failed attempt', async () => {
    const { url } = await serve(() => undefined); // never answers
    sender = new WebhookSender(5_000);
    const abort = new AbortController();
    const sending = sender.send({ id: 'msg_a', url, secret: SECRET, body: '{}' }, Date.now(), abort.signal);
    abort.abort();
    await expect(sending).rejects.toThrow();
  });
});
