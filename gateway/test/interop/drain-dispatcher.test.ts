/**
 * Kamailio's dispatcher (Debian `kamailio` 5.6) in front of a gateway, as docs/drain.md describes it: it relays calls
 * to the gateway while its OPTIONS probes get 200; once the gateway drains, a probe gets 503, the dispatcher marks the
 * destination down (event_route[dispatcher:dst-down]) and stops choosing it: the next INVITE is not relayed here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { answering, kamailioBinary, kamailioPreamble } from '../helpers/kamailio.js';
import { pcmuOffer, RawSipPeer } from '../helpers/raw-sip-peer.js';
import { freePort } from '../helpers/sipp.js';

const NUMBER = '+15550100001';

interface Dispatcher {
  readonly port: number;
  log(): string;
  close(): Promise<void>;
}

/** Kamailio with one dispatcher set holding `destination`, probed every second (any reply but 200 is a failure). */
async function startDispatcher(destination: string): Promise<Dispatcher> {
  const bin = kamailioBinary();
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-dispatcher-'));
  const port = await freePort('udp');
  await writeFile(join(dir, 'dispatcher.list'), `1 ${destination} 0 0\n`);
  await writeFile(
    join(dir, 'kamailio.cfg'),
    `${kamailioPreamble(port)}loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "${join(dir, 'dispatcher.list')}")
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", 1)
modparam("dispatcher", "ds_ping_from", "sip:dispatcher@127.0.0.1")
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("CANCEL") || is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
  if (has_totag()) { t_relay(); exit; }
  if (is_method("INVITE")) {
    if (!ds_select_dst("1", "4")) { xlog("L_NOTICE", "PB-NO-DESTINATION\\n"); sl_send_reply("503", "No Destination"); exit; }
    xlog("L_NOTICE", "PB-RELAY $du\\n");
    t_relay();
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
event_route[dispatcher:dst-down] {
  xlog("L_NOTICE", "PB-DST-DOWN $ru\\n");
}
`,
  );
  let output = '';
  const child: ChildProcess = spawn(bin, ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-Y', dir, '-m', '32', '-M', '4'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await answering(port, 10_000);
  } catch (err) {
    await close();
    throw new Error(`kamailio did not start:\n${output.slice(-2000)}`, { cause: err });
  }
  return { port, log: () => output, close };
}

let gw: TestGateway | undefined;
let kamailio: Dispatcher | undefined;
let peer: RawSipPeer | undefined;

beforeAll(async () => {
  gw = await startTestGateway({ sip: { tcp: false }, numbers: { [NUMBER]: { agent: 'echo' } }, drain: { retryAfterS: 30 } });
  kamailio = await startDispatcher(`sip:127.0.0.1:${gw.sipPort}`);
  peer = await RawSipPeer.open('127.0.0.1', kamailio.port);
}, 30_000);
afterAll(async () => {
  peer?.close();
  await kamailio?.close();
  await gw?.close();
});

const optionsProbes = async (): Promise<number> => {
  if (!gw) return 0;
  const m = /^patchbay_sip_requests_total\{method="OPTIONS"\} (\d+)$/m.exec(await gw.metrics());
  return Number(m?.[1] ?? 0);
};

describe('Kamailio dispatcher and a draining gateway', () => {
  it('relays calls while probes get 200; marks the gateway down at the first 503 probe and relays no more', async () => {
    if (!gw || !kamailio || !peer) throw new Error('not started');
    const k = kamailio;
    // The dispatcher probes us (200) and relays a call here.
    await waitFor(async () => (await optionsProbes()) >= 2, 10_000, () => k.log().slice(-2_000));
    const call = await peer.invite(NUMBER, pcmuOffer(40_010));
    expect(call.status).toBe(200);
    peer.ack(call);
    expect(await peer.bye(call)).toBe(200);
    expect(k.log()).toMatch(/PB-RELAY sip:127\.0\.0\.1:\d+/);
    expect(k.log()).not.toMatch(/PB-DST-DOWN/);

    void gw.gateway.drain();
    await waitFor(() => k.log().includes('PB-DST-DOWN'), 10_000, () => k.log().slice(-2_000));
    expect(k.log()).toMatch(new RegExp(`PB-DST-DOWN sip:127\\.0\\.0\\.1:${gw.sipPort}`));

    // The next call is not sent here: the dispatcher has no active destination left (in production: the others).
    const refused = await peer.invite(NUMBER, pcmuOffer(40_012));
    expect(refused.status).toBe(503);
    expect(refused.final.firstLine).toBe('SIP/2.0 503 No Destination');
    expect(k.log()).toMatch(/PB-NO-DESTINATION/);
  }, 40_000);
});
