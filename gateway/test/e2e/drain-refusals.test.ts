/**
 * A draining gateway (startGateway's `drain()`, what main.ts runs on SIGTERM) refuses everything new and keeps every
 * live call working: /readyz 503, OPTIONS and a new INVITE 503 with Retry-After `drain.retryAfterS`, the API's new
 * call 503 GATEWAY_DRAINING with Retry-After, patchbay_drain_state 1; the live call's in-dialog requests are
 * answered and its BYE ends the drain (completed), its end reason the caller's. docs/drain.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { pcmuOffer, RawSipPeer } from '../helpers/raw-sip-peer.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { header } from '../helpers/sip-text.js';

const NUMBER = '+15550100001';
const RETRY_AFTER_S = 7;

let gw: TestGateway | undefined;
let peer: RawSipPeer | undefined;

beforeAll(async () => {
  gw = await startTestGateway({ numbers: { [NUMBER]: { agent: 'echo' } }, drain: { timeoutS: 60, retryAfterS: RETRY_AFTER_S } });
  peer = await RawSipPeer.open('127.0.0.1', gw.sipPort);
});
afterAll(async () => {
  peer?.close();
  await gw?.close();
});

function http(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  if (!gw) throw new Error('gateway did not start');
  const { json, ...rest } = init;
  return fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    ...rest,
    ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(5_000),
  });
}

describe('a draining gateway', () => {
  it('refuses new calls and probes with 503 + Retry-After, keeps the live call, completes when it ends', async () => {
    if (!gw || !peer) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: '127.0.0.1', port: gw.sipPort, to: NUMBER });
    try {
      // Serving: all is well, and the API's call is refused for its own reason (no trunk).
      expect((await http('/readyz')).status).toBe(200);
      expect((await peer.probe()).status).toBe(200);
      const before = await http('/v1/calls', { method: 'POST', json: { to: '+14445550001' } });
      expect(((await before.json()) as { code: string }).code).toBe('TRUNK_UNKNOWN');

      const drained = gw.gateway.drain();
      let outcome: string | undefined;
      void drained.then((o) => (outcome = o));

      const ready = await http('/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, reason: 'draining' });
      const health = await gw.healthz();
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'draining', drain: { phase: 'draining', liveCalls: 1 } });

      const probe = await peer.probe();
      expect(probe.status).toBe(503);
      expect(header(probe, 'retry-after')).toBe(String(RETRY_AFTER_S));

      const invite = await peer.invite(NUMBER, pcmuOffer(40_000));
      expect(invite.status).toBe(503);
      expect(invite.final.firstLine).toBe('SIP/2.0 503 Service Unavailable - draining');
      expect(header(invite.final, 'retry-after')).toBe(String(RETRY_AFTER_S));

      const place = await http('/v1/calls', { method: 'POST', json: { to: '+14445550001' } });
      expect(place.status).toBe(503);
      expect(place.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(place.headers.get('retry-after')).toBe(String(RETRY_AFTER_S));
      expect(await place.json()).toMatchObject({ code: 'GATEWAY_DRAINING', status: 503 });

      expect(await gw.metrics()).toMatch(/^patchbay_drain_state 1$/m);
      const stats = (await (await http('/stats')).json()) as { drain: { phase: string; liveCalls: number } };
      expect(stats.drain).toMatchObject({ phase: 'draining', liveCalls: 1 });

      // The live call goes on: its in-dialog requests are answered.
      const info = await caller.sendRequest('INFO', { headers: ['Content-Type: application/dtmf-relay'], body: 'Signal=5\r\nDuration=100\r\n' });
      expect(info.status).toBe(200);
      const inDialogOptions = await caller.sendRequest('OPTIONS');
      expect(inDialogOptions.status).toBe(200);
      expect(outcome).toBeUndefined();
      expect(gw.gateway.activeCalls()).toBe(1);

      expect(await caller.bye()).toBe(200);
      expect(await drained).toBe('completed');
      const ended = gw.gateway.calls.ended().at(-1);
      expect(ended?.endReason).toBe('remote-bye');
      expect(await gw.metrics()).toMatch(/^patchbay_drain_state 2$/m);
    } finally {
      caller.close();
    }
  });
});
