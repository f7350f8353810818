/**
 * The agent protocol as `docs/protocol.md` documents it, checked black-box: real calls from SIPp to a real
 * gateway, routed to `DocAgent` (written from the docs alone). SIPp's SDP points the gateway's RTP at a UDP socket
 * of this test, so "played" can be checked against what actually left on RTP.
 *
 * Where the gateway and the docs disagree, these tests assert the docs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { describeRun, parseMessageLog, runSipp, SIPP_EXIT, type SippResult } from '../helpers/sipp.js';
import { RtpSink } from '../helpers/rtp-sink.js';
import { DocAgent, tone, verify, type AgentCall, type GatewayMessage } from './doc-agent.js';

const NUMBER = '+15550100002';
const SECRET = 'doc-agent-shared-secret-0123456789';
const AGENT_PATH = '/patchbay?tenant=acme';
/** One 20 ms frame of PCM16 24 kHz mono (§3). */
const FRAME_BYTES = 960;
const FRAME_MS = 20;

interface PlacedCall {
  readonly rtp: RtpSink;
  readonly sipp: Promise<SippResult>;
}

/** Place one call to NUMBER with SIPp; the gateway's RTP goes to a fresh RtpSink. */
async function placeCall(
  gw: TestGateway,
  scenario: 'uac-agent-call.xml' | 'uac-agent-wait-bye.xml' | 'uac-expect-503.xml',
  pauseMs = 100,
): Promise<PlacedCall> {
  const rtp = await RtpSink.start();
  const sipp = runSipp({
    scenario,
    host: gw.host,
    port: gw.sipPort,
    transport: 'udp',
    service: NUMBER,
    pauseMs,
    // Bounded below the 20 s hook timeout, so a call a failed test leaves up cannot hang the clean-up.
    timeoutMs: 15_000,
    recvTimeoutMs: 10_000,
    keys: { rtp_port: String(rtp.port) },
  });
  return { rtp, sipp };
}

const byType =
  (type: string, extra: (m: GatewayMessage) => boolean = () => true) =>
  (m: GatewayMessage): boolean =>
    m.type === type && extra(m);

const sentBye = (result: SippResult): boolean =>
  parseMessageLog(result.messageLog).some((m) => m.direction === 'received' && m.text.startsWith('BYE '));

describe('agent protocol v1, as documented', () => {
  let agent: DocAgent;
  let gw: TestGateway | undefined;
  /** Calls the current test placed: ended by `hangup` in afterEach if a failing test left them up. */
  let open: { call: AgentCall | undefined; placed: PlacedCall }[] = [];

  beforeAll(async () => {
    agent = await DocAgent.start({ path: AGENT_PATH, secret: SECRET });
    gw = await startTestGateway({
      numbers: { [NUMBER]: { agent: agent.url, parameters: { language: 'en' } } },
      agents: { tokenSecret: SECRET },
    });
  });

  afterEach(async () => {
    agent.onJson = () => undefined;
    for (const { call, placed } of open) {
      if (call !== undefined && call.closed === undefined) call.sendJson({ type: 'hangup', reason: 'test over' });
      await placed.sipp;
      placed.rtp.close();
    }
    open = [];
  });

  afterAll(async () => {
    await gw?.close();
    await agent.close();
  });

  async function start(
    scenario: 'uac-agent-call.xml' | 'uac-agent-wait-bye.xml',
    pauseMs?: number,
  ): Promise<{ call: AgentCall; placed: PlacedCall }> {
    if (gw === undefined) throw new Error('gateway did not start');
    const index = agent.calls.length;
    const placed = await placeCall(gw, scenario, pauseMs);
    const entry: { call: AgentCall | undefined; placed: PlacedCall } = { call: undefined, placed };
    open.push(entry);
    const call = await agent.call(index, 5_000);
    entry.call = call;
    return { call, placed };
  }

  it('1. connection: documented headers, a token the §2 recipe verifies, start first, 20 ms frames at 50/s', async () => {
    const CALL_MS = 2_000;
    const { call, placed } = await start('uac-agent-call.xml', CALL_MS);
    const stop = await call.waitForMessage(byType('stop'), CALL_MS + 5_000, 'stop');
    const result = await placed.sipp;
    expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);

    // §1 request headers.
    const { headers, target, token } = call.upgrade;
    expect(target).toBe(AGENT_PATH);
    expect(headers['x-patchbay-protocol']).toBe('1');
    const callIdHeader = headers['x-patchbay-call-id'];
    expect(typeof callIdHeader).toBe('string');
    expect(headers['sec-websocket-protocol'], 'no subprotocol is offered').toBeUndefined();
    if (token === undefined) throw new Error('no X-Patchbay-Token although a secret is configured');

    // §2: a standard HS256 JWT that the five-line recipe verifies with the configured secret and our own URL.
    const [jwtHeader = ''] = token.split('.');
    expect(JSON.parse(Buffer.from(jwtHeader, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    const claims = verify(token, SECRET, agent.url);
    expect(claims, `token ${token} must verify against ${agent.url}`).not.toBeNull();
    expect(verify(token, `${SECRET}-other`, agent.url), 'another secret must not verify').toBeNull();
    expect(verify(token, SECRET, 'ws://127.0.0.1:1/elsewhere'), 'another audience must not verify').toBeNull();
    expect(claims).toMatchObject({ iss: 'patchbay', aud: agent.url, callId: callIdHeader });
    if (claims === null) return;
    expect(claims.exp - claims.iat, 'tokens live 60 s').toBe(60);
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(10);

    // §4 start: the first message of all, with the documented fields.
    const first = call.received[0];
    expect(first?.kind, call.describe()).toBe('json');
    const startMsg = call.messages()[0];
    expect(startMsg).toEqual({
      type: 'start',
      version: 1,
      callId: callIdHeader,
      streamId: claims.streamId,
      from: 'sipp', // SIPp's From is sip:sipp@…: not E.164, so the SIP user part
      to: NUMBER,
      direction: 'inbound',
      parameters: { language: 'en' },
      audio: { encoding: 'pcm16', sampleRate: 24_000, channels: 1, frameMs: 20 },
    });
    expect(call.messages().filter(byType('start'))).toHaveLength(1);

    // §3 gateway → agent: exactly one 20 ms frame (960 bytes) per binary message, silence as zeros.
    const frames = call.frames();
    expect(frames.length, call.describe()).toBeGreaterThan(50);
    const sizes = new Set(frames.map((f) => f.data.length));
    expect([...sizes]).toEqual([FRAME_BYTES]);
    expect(
      frames.every((f) => f.data.every((b) => b === 0)),
      'SIPp sends no media: every frame is silence, sent as zeros',
    ).toBe(true);
    const firstFrame = frames[0];
    const lastFrame = frames[frames.length - 1];
    if (firstFrame === undefined || lastFrame === undefined) return;
    expect(firstFrame.atMs - (first?.atMs ?? 0), 'frames flow from the answer').toBeLessThan(200);
    // Cadence: frames counted over a known one-second window inside the call, then over the whole stream.
    const windowStart = firstFrame.atMs + 300;
    const inWindow = frames.filter((f) => f.atMs >= windowStart && f.atMs < windowStart + 1_000).length;
    expect(inWindow, 'frames in 1,000 ms (50 expected)').toBeGreaterThanOrEqual(47);
    expect(inWindow, 'frames in 1,000 ms (50 expected)').toBeLessThanOrEqual(53);
    const spanMs = lastFrame.atMs - firstFrame.atMs;
    const rate = ((frames.length - 1) * 1_000) / spanMs;
    console.log(
      `[protocol] uplink: ${frames.length} frames over ${spanMs.toFixed(0)} ms (${rate.toFixed(2)}/s), ` +
        `${inWindow} in a 1,000 ms window, first frame ${(firstFrame.atMs - (first?.atMs ?? 0)).toFixed(1)} ms after start`,
    );
    expect(rate, `${frames.length} frames over ${spanMs.toFixed(0)} ms`).toBeGreaterThan(50 * 0.95);
    expect(rate, `${frames.length} frames over ${spanMs.toFixed(0)} ms`).toBeLessThan(50 * 1.05);
    // The call lasted CALL_MS after the ACK: that many ms of frames, give or take setup and teardown.
    expect(frames.length * FRAME_MS).toBeGreaterThan(CALL_MS * 0.9);
    expect(frames.length * FRAME_MS).toBeLessThan(CALL_MS + 500);

    // §6 the caller hung up: stop{caller_hangup} is the last message, nothing after it, close code 1000.
    expect(stop.message).toMatchObject({ type: 'stop', reason: 'caller_hangup' });
    const afterStop = call.received.filter((r) => r.atMs > stop.atMs);
    expect(afterStop.length, 'nothing after stop').toBe(0);
    const closed = await call.waitForClose(3_000);
    expect(closed.code).toBe(1000);
  });

  it('2. marks come back in order, played, with exact playedMs, once the audio has left on RTP', async () => {
    let sentAt = Number.NaN;
    agent.onJson = (c, m) => {
      if (m.type !== 'start') return;
      sentAt = c.sendAudio(tone(1_000));
      c.sendJson({ type: 'mark', name: 'a' });
      c.sendAudio(tone(500));
      c.sendJson({ type: 'mark', name: 'b' });
    };
    const { call, placed } = await start('uac-agent-wait-bye.xml');
    let toneAtA = -1;
    const a = await call.waitForMessage(byType('mark', (m) => m['name'] === 'a'), 5_000, 'mark a').then((found) => {
      toneAtA = placed.rtp.tonePackets();
      return found;
    });
    const b = await call.waitForMessage(byType('mark', (m) => m['name'] === 'b'), 5_000, 'mark b');

    const marks = call.messages().filter(byType('mark'));
    console.log(
      `[protocol] marks: a after ${(a.atMs - sentAt).toFixed(0)} ms (${toneAtA} tone packets on RTP), ` +
        `b ${(b.atMs - a.atMs).toFixed(0)} ms later; ${JSON.stringify(marks)}`,
    );
    expect(marks, call.describe()).toEqual([
      { type: 'mark', name: 'a', status: 'played', playedMs: 1_000 },
      { type: 'mark', name: 'b', status: 'played', playedMs: 1_500 },
    ]);
    expect(a.atMs).toBeLessThan(b.atMs);
    // Acknowledged when played, not when queued: the 50th packet leaves 980 ms after the first (§5 timeline).
    const aAfterMs = a.atMs - sentAt;
    expect(aAfterMs, 'mark a: ms after the audio was sent').toBeGreaterThanOrEqual(950);
    expect(aAfterMs, 'mark a: ms after the audio was sent').toBeLessThan(1_300);
    expect(b.atMs - a.atMs, 'mark b: ms after mark a').toBeGreaterThanOrEqual(480);
    expect(b.atMs - a.atMs, 'mark b: ms after mark a').toBeLessThan(700);
    // What left on RTP: about 50 tone packets when `a` came back, 75 in all.
    expect(toneAtA, 'tone packets on RTP when mark a came back').toBeGreaterThanOrEqual(48);
    expect(toneAtA, 'tone packets on RTP when mark a came back').toBeLessThanOrEqual(53);
    await waitFor(() => placed.rtp.tonePackets() >= 74, 1_000, () => `${placed.rtp.tonePackets()} tone packets`);
    expect(placed.rtp.tonePackets()).toBeLessThanOrEqual(77);

    call.sendJson({ type: 'hangup', reason: 'done' });
    await call.waitForMessage(byType('stop'), 3_000, 'stop');
  });

  it('2b. audio split mid-sample plays as one stream; a partial last packet counts exactly (1,010 ms)', async () => {
    let sentAt = Number.NaN;
    agent.onJson = (c, m) => {
      if (m.type !== 'start') return;
      const pcm = tone(1_010);
      // Odd cut points: messages that end in the middle of a sample (§3).
      const cuts = [0, 1, 4_801, 20_003, 33_333, pcm.length];
      sentAt = performance.now();
      for (let i = 0; i + 1 < cuts.length; i++) c.sendAudio(pcm.subarray(cuts[i], cuts[i + 1]));
      c.sendJson({ type: 'mark', name: 'partial' });
    };
    const { call, placed } = await start('uac-agent-wait-bye.xml');
    const mark = await call.waitForMessage(byType('mark'), 5_000, 'mark partial');
    expect(mark.message).toEqual({ type: 'mark', name: 'partial', status: 'played', playedMs: 1_010 });
    // 51 packets: the 51st holds the last 10 ms, padded; it leaves 1,000 ms after the first.
    expect(mark.atMs - sentAt, 'mark partial: ms after the audio was sent').toBeGreaterThanOrEqual(970);
    await waitFor(() => placed.rtp.tonePackets() >= 50, 1_000, () => `${placed.rtp.tonePackets()} tone packets`);
    expect(placed.rtp.tonePackets()).toBeLessThanOrEqual(52);

    call.sendJson({ type: 'hangup', reason: 'done' });
    await call.waitForMessage(byType('stop'), 3_000, 'stop');
  });

  it('3. clear drops the rest, answers cleared{droppedMs, playedMs} summing to what was sent, marks cleared', async () => {
    let sentAt = Number.NaN;
    let framesAtSend = 0;
    agent.onJson = (c, m) => {
      if (m.type !== 'start') return;
      sentAt = c.sendAudio(tone(3_000));
      framesAtSend = c.frames().length;
      c.sendJson({ type: 'mark', name: 'long' });
    };
    const { call, placed } = await start('uac-agent-wait-bye.xml');
    // §3: caller frames arrive every 20 ms, so their count is a clock: 25 frames ≈ 500 ms of playout.
    await waitFor(
      () => Number.isFinite(sentAt) && call.frames().length >= framesAtSend + 25,
      3_000,
      () => call.describe(),
    );
    const clearAt = call.sendJson({ type: 'clear' });
    const cleared = await call.waitForMessage(byType('cleared'), 2_000, 'cleared');
    const elapsedMs = clearAt - sentAt;

    const long = call.messages().filter(byType('mark', (m) => m['name'] === 'long'));
    expect(long, call.describe()).toHaveLength(1);
    expect(long[0]).toMatchObject({ status: 'cleared' });
    const longAt = call.timed().find((t) => t.message.type === 'mark' && t.message['name'] === 'long');
    expect(longAt?.atMs ?? Infinity, 'pending marks are answered before cleared').toBeLessThanOrEqual(cleared.atMs);

    const droppedMs = cleared.message['droppedMs'];
    const playedMs = cleared.message['playedMs'];
    if (typeof droppedMs !== 'number' || typeof playedMs !== 'number') {
      throw new Error(`cleared without numeric droppedMs/playedMs: ${JSON.stringify(cleared.message)}`);
    }
    console.log(
      `[protocol] clear after ${elapsedMs.toFixed(0)} ms: ${JSON.stringify(cleared.message)}, ` +
        `answered ${(cleared.atMs - clearAt).toFixed(1)} ms later`,
    );
    expect(droppedMs + playedMs, 'playedMs + droppedMs is what was sent in the turn').toBe(3_000);
    expect(playedMs % FRAME_MS, 'exact to the 20 ms packet').toBe(0);
    expect(playedMs, `played vs ${elapsedMs.toFixed(0)} ms elapsed`).toBeGreaterThanOrEqual(elapsedMs - 100);
    expect(playedMs, `played vs ${elapsedMs.toFixed(0)} ms elapsed`).toBeLessThanOrEqual(elapsedMs + 40);
    expect(long[0]?.['playedMs']).toBe(playedMs);

    // A new turn: playedMs counts from 0 again.
    call.sendAudio(tone(500));
    call.sendJson({ type: 'mark', name: 'answer' });
    const answer = await call.waitForMessage(byType('mark', (m) => m['name'] === 'answer'), 3_000, 'mark answer');
    expect(answer.message).toEqual({ type: 'mark', name: 'answer', status: 'played', playedMs: 500 });
    expect(
      call.messages().some((m) => m.type === 'mark' && m['name'] === 'long' && m['status'] === 'played'),
      'the cleared mark is never reported played',
    ).toBe(false);
    // The caller heard the played part and the new turn, nothing of what was dropped.
    const expectedTone = (playedMs + 500) / FRAME_MS;
    await waitFor(
      () => placed.rtp.tonePackets() >= expectedTone - 2,
      1_000,
      () => `${placed.rtp.tonePackets()} tone packets, expected ${expectedTone}`,
    );
    expect(placed.rtp.tonePackets()).toBeLessThanOrEqual(expectedTone + 2);

    call.sendJson({ type: 'hangup', reason: 'done' });
    await call.waitForMessage(byType('stop'), 3_000, 'stop');
  });

  it('4. malformed messages are answered error{bad_message} and the call goes on', async () => {
    const { call, placed } = await start('uac-agent-wait-bye.xml');
    await call.waitForMessage(byType('start'), 3_000, 'start');
    const bad: readonly { readonly what: string; readonly text: string; readonly mentions?: string }[] = [
      { what: 'not JSON', text: '{"type": "mark", "name": ' },
      { what: 'JSON but not an object', text: '[1, 2, 3]' },
      { what: 'no type', text: JSON.stringify({ name: 'x' }) },
      { what: 'unknown type', text: JSON.stringify({ type: 'media', payload: 'AAAA' }), mentions: 'media' },
      { what: 'mark without name', text: JSON.stringify({ type: 'mark' }) },
      { what: 'mark with empty name', text: JSON.stringify({ type: 'mark', name: '' }) },
      { what: 'mark name of 257 chars', text: JSON.stringify({ type: 'mark', name: 'x'.repeat(257) }) },
      { what: 'mark name not a string', text: JSON.stringify({ type: 'mark', name: 7 }) },
      { what: 'dtmf lower-case/invalid digit', text: JSON.stringify({ type: 'dtmf', digits: '12a' }) },
      { what: 'dtmf durationMs below 40', text: JSON.stringify({ type: 'dtmf', digits: '1', durationMs: 10 }) },
      { what: 'dtmf 65 digits', text: JSON.stringify({ type: 'dtmf', digits: '1'.repeat(65) }) },
      // §4 "at most 64 KiB": a larger message is one the gateway cannot read.
      { what: 'text over 64 KiB', text: JSON.stringify({ type: 'mark', name: 'big', pad: 'x'.repeat(70_000) }) },
    ];
    for (const [i, { what, text, mentions }] of bad.entries()) {
      const before = call.messages().length;
      call.sendText(text);
      const error = await call.waitForMessage(byType('error'), 2_000, `error for ${what}`, before);
      expect(error.message['code'], what).toBe('bad_message');
      expect(typeof error.message['message'], what).toBe('string');
      if (mentions !== undefined) expect(String(error.message['message']), what).toContain(mentions);
      expect(call.messages().filter(byType('error')), `one error per bad message (after #${i})`).toHaveLength(i + 1);
    }
    // Unknown fields are ignored, and nothing was waiting: a valid mark is answered played at once, playedMs 0.
    const framesBefore = call.frames().length;
    call.sendJson({ type: 'mark', name: 'still-here', futureField: true });
    const mark = await call.waitForMessage(byType('mark'), 1_000, 'mark still-here');
    expect(mark.message).toEqual({ type: 'mark', name: 'still-here', status: 'played', playedMs: 0 });
    expect(call.messages().filter(byType('error'))).toHaveLength(bad.length);
    // The call goes on: no stop, the socket is open, caller audio keeps coming.
    await waitFor(() => call.frames().length >= framesBefore + 5, 1_000, () => call.describe());
    expect(call.messages().filter(byType('stop'))).toHaveLength(0);
    expect(call.closed).toBeUndefined();
    expect(placed.rtp.tonePackets()).toBe(0);

    call.sendJson({ type: 'hangup', reason: 'done' });
    await call.waitForMessage(byType('stop'), 3_000, 'stop');
  });

  it('5. hangup ends the call at once (SIP BYE), drops buffered audio, clears pending marks, then stop', async () => {
    agent.onJson = (c, m) => {
      if (m.type === 'start') {
        c.sendAudio(tone(300));
        c.sendJson({ type: 'mark', name: 'goodbye' });
      }
    };
    const { call, placed } = await start('uac-agent-wait-bye.xml');
    const goodbye = await call.waitForMessage(byType('mark', (m) => m['name'] === 'goodbye'), 3_000, 'goodbye');
    expect(goodbye.message).toMatchObject({ status: 'played', playedMs: 300 });
    // Queue 2 s more that must never be heard, and a mark for it, then hang up.
    call.sendAudio(tone(2_000));
    call.sendJson({ type: 'mark', name: 'never' });
    const toneAtHangup = placed.rtp.tonePackets();
    const hangupAt = call.sendJson({ type: 'hangup', reason: 'goodbye' });

    const stop = await call.waitForMessage(byType('stop'), 3_000, 'stop');
    console.log(`[protocol] hangup: stop ${(stop.atMs - hangupAt).toFixed(1)} ms later: ${call.describe()}`);
    expect(stop.message).toMatchObject({ type: 'stop', reason: 'agent_hangup' });
    expect(stop.atMs - hangupAt, 'hangup ends the call at once').toBeLessThan(500);
    const never = call.timed().filter((t) => t.message.type === 'mark' && t.message['name'] === 'never');
    expect(never.map((t) => t.message['status']), call.describe()).toEqual(['cleared']);
    expect(never[0]?.atMs ?? Infinity, 'pending marks come back cleared before stop').toBeLessThanOrEqual(stop.atMs);
    const closed = await call.waitForClose(3_000);
    expect(closed.code).toBe(1000);

    const result = await placed.sipp;
    expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);
    expect(sentBye(result), 'SIPp received a BYE from the gateway').toBe(true);
    expect(placed.rtp.tonePackets() - toneAtHangup, 'buffered audio is dropped, not played').toBeLessThanOrEqual(3);
    await gw?.waitForIdle(3_000);
  });
});

describe('no secret configured', () => {
  it('1b. the upgrade carries no X-Patchbay-Token, and the call streams as usual', async () => {
    const agent = await DocAgent.start({ path: '/open' });
    const gw = await startTestGateway({ numbers: { [NUMBER]: { agent: agent.url } } });
    try {
      const placed = await placeCall(gw, 'uac-agent-call.xml', 300);
      const result = await placed.sipp;
      placed.rtp.close();
      expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);
      const call = await agent.call(0, 1_000);
      expect(call.upgrade.headers['x-patchbay-token']).toBeUndefined();
      expect(call.upgrade.headers['x-patchbay-protocol']).toBe('1');
      expect(call.messages()[0]).toMatchObject({ type: 'start', callId: call.upgrade.headers['x-patchbay-call-id'] });
      await call.waitForMessage(byType('stop', (m) => m['reason'] === 'caller_hangup'), 3_000, 'stop');
    } finally {
      await gw.close();
      await agent.close();
    }
  });
});

describe('agent refuses the upgrade (token does not verify: 401)', () => {
  let agent: DocAgent;
  const gateways: TestGateway[] = [];
  const sinks: RtpSink[] = [];

  beforeAll(async () => {
    // The agent knows another secret than the gateway, so §2 verification fails and it answers 401.
    agent = await DocAgent.start({ path: '/refusing', secret: 'a-different-secret-0123456789' });
  });

  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    for (const sink of sinks) sink.close();
    await agent.close();
  });

  it('6a. onFailure: apology: the call is answered, the caller hears an apology, and the gateway hangs up', async () => {
    const gw = await startTestGateway({
      numbers: { [NUMBER]: { agent: agent.url } },
      agents: { tokenSecret: SECRET, onFailure: 'apology' },
    });
    gateways.push(gw);
    const ended: { reason: string; disposition: string; sipStatus: number | undefined }[] = [];
    gw.gateway.events.on('ended', (e) => void ended.push({ reason: e.reason, disposition: e.disposition, sipStatus: e.sipStatus }));
    const upgradesBefore = agent.upgrades.length;
    const placed = await placeCall(gw, 'uac-agent-wait-bye.xml');
    sinks.push(placed.rtp);
    const result = await placed.sipp;
    expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);
    expect(sentBye(result)).toBe(true);

    const upgrades = agent.upgrades.slice(upgradesBefore);
    expect(upgrades.map((u) => u.accepted)).toEqual([false]);
    expect(upgrades[0]?.token, 'a token was sent (it just does not verify with our secret)').toBeDefined();
    expect(agent.calls).toHaveLength(0);
    // "A short apology": some audible (non-silent) audio reached the caller before the BYE.
    console.log(
      `[protocol] apology: ${placed.rtp.tonePackets()} audible of ${placed.rtp.packets.length} RTP packets, ` +
        `call ${result.wallMs.toFixed(0)} ms`,
    );
    expect(placed.rtp.tonePackets(), 'non-silent PCMU packets of the apology').toBeGreaterThan(10);
    await gw.waitForIdle(3_000);
    // The apology's hangup is not the agent's: the call failed because its agent was unavailable.
    const stats = await gw.gateway.stats();
    expect(stats.endReasons).toMatchObject({ 'agent-unavailable': 1 });
    expect(stats.endReasons['agent-hangup']).toBeUndefined();
    expect(ended).toEqual([{ reason: 'agent-unavailable', disposition: 'failed', sipStatus: 200 }]);
  });

  it('6b. onFailure: reject: the call is refused with SIP 503 before it is answered', async () => {
    const gw = await startTestGateway({
      numbers: { [NUMBER]: { agent: agent.url } },
      agents: { tokenSecret: SECRET, onFailure: 'reject' },
    });
    gateways.push(gw);
    const upgradesBefore = agent.upgrades.length;
    const placed = await placeCall(gw, 'uac-expect-503.xml');
    sinks.push(placed.rtp);
    const result = await placed.sipp;
    expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);
    expect(agent.upgrades.slice(upgradesBefore).map((u) => u.accepted)).toEqual([false]);
    expect(agent.calls).toHaveLength(0);
    expect(placed.rtp.packets, 'no media for a call that was never answered').toHaveLength(0);
    await gw.waitForIdle(3_000);
  });
});
