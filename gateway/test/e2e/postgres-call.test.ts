/**
 * A real call's record through a real database, on both engines: a gateway configured with `database:` (SQLite in
 * its data folder; a real PostgreSQL started by the test, `database.url`) takes a SIP call (scripted caller, PCMU,
 * paced RTP) to the echo agent; the caller hangs up; the record is then read back through `GET /v1/calls/{id}` —
 * from the database, since the gateway is restarted on the same database first — and is in the table with this
 * gateway's id.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway, storeOf } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { sine } from '../helpers/tones.js';
import { storeBackends } from '../support/store-backends.js';

const NUMBER = '+15550100042';
const backends = storeBackends();
afterAll(async () => {
  for (const [, b] of backends) await b.cleanup();
}, 20_000);

interface ApiCall {
  id: string;
  live: boolean;
  status: string;
  direction: string;
  to: string;
  number?: string;
  codec?: string;
  talkMs?: number;
  endReason?: string;
  timeline?: { type: string }[];
}

async function api<T>(gw: TestGateway, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as T };
}

describe.each(backends)('a call recorded in %s', (engine, backend) => {
  it('is readable through GET /v1/calls/{id} after the call, and after a restart on the same database', async () => {
    const { url, dataDir } = await backend.config();
    const database = { dataDir, gatewayId: `gw-${engine}`, ...(url === undefined ? {} : { url }) };
    const config = { numbers: { [NUMBER]: { agent: 'echo' } }, database };
    let gw = await startTestGateway(config);
    let id = '';
    try {
      expect(storeOf(gw.gateway).dialect).toBe(engine);
      const sip = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER });
      try {
        const live = async () => (await api<{ calls: ApiCall[] }>(gw, '/v1/calls')).body.calls.filter((c) => c.live);
        await waitFor(async () => (await live()).length === 1, 5_000);
        id = (await live())[0]?.id ?? '';
        await sip.sendAudio(sine(8_000, 440, -20, 600));
        expect(await sip.bye()).toBe(200);
      } finally {
        await sip.hangUp();
      }
      await gw.waitForIdle(5_000);
      const stored = async () => {
        const r = await api<ApiCall>(gw, `/v1/calls/${id}`);
        return r.status === 200 && !r.body.live && (r.body.timeline?.length ?? 0) > 0;
      };
      await waitFor(stored, 10_000, () => `no stored record for ${id}`);
    } finally {
      await gw.close(); // flushes the write queue
    }
    gw = await startTestGateway(config);
    try {
      const { status, body } = await api<ApiCall>(gw, `/v1/calls/${id}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id, live: false, status: 'completed', direction: 'inbound', to: NUMBER, number: NUMBER, codec: 'PCMU', endReason: 'remote-bye' });
      expect(body.talkMs).toBeGreaterThan(500);
      expect(body.timeline?.map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'answered', 'ended']));
      const list = await api<{ calls: ApiCall[] }>(gw, `/v1/calls?number=${encodeURIComponent(NUMBER)}`);
      expect(list.body.calls.map((c) => c.id)).toEqual([id]);
      const row = await storeOf(gw.gateway).db.selectFrom('calls').select(['gateway_id', 'created_at']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.gateway_id).toBe(`gw-${engine}`);
      expect(typeof row.created_at).toBe('number');
    } finally {
      await gw.close();
    }
  }, 30_000);
});
