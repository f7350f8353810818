import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive } from '../src/records-cost/drive.js';

/** A sink like the bench's (204 at once), counting the envelope types it was sent. */
let server: Server;
let url = '';
const types: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      types.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string }).type);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('records-cost drive', () => {
  it('on: every call recorded and its ringing, answered and ended webhooks delivered before the CPU is read', async () => {
    const r = await drive('on', { calls: 12, rate: 200, sinkUrl: url });
    expect(r).toMatchObject({ mode: 'on', records: 12, delivered: 36 });
    expect(r.cpuMs).toBeGreaterThan(0);
    expect(types.filter((t) => t === 'call.ended')).toHaveLength(12);
    expect(types.filter((t) => t === 'call.ringing')).toHaveLength(12);
    expect(types.filter((t) => t === 'call.answered')).toHaveLength(12);
  });

  it('off and records: records built, no webhook sent', async () => {
    const before = types.length;
    const off = await drive('off', { calls: 12, rate: 200, sinkUrl: url });
    const stored = await drive('records', { calls: 12, rate: 200, sinkUrl: url });
    expect(off).toMatchObject({ records: 12, delivered: 0 });
    expect(stored).toMatchObject({ records: 12, delivered: 0 });
    expect(types.length).toBe(before);
  });
});
