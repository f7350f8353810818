/**
 * SRTP on real calls (docs/srtp.md), over real sockets:
 * - baresip with `mediaenc srtp-mand` (RTP/SAVP, SDES keys) calls the `echo` agent: the sentence comes back
 *   (NCC ≥ 0.9, as the plain echo test asks), once per suite the gateway is limited to (`media.srtpSuites`), and
 *   baresip reports the suite it runs;
 * - a caller whose SRTP is protected with another key than the one it announced: the agent gets not one non-silent
 *   frame, and the auth failures are counted (per call in the call's stats, in /stats and /metrics); the same
 *   caller with its announced key reaches the agent (so the first assertion can fail);
 * - `srtp: required` and a plain offer from SIPp: 488 with its reason.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSrtpSession, SRTP_SUITES, type SrtpKeyMaterial, type SrtpSuite } from '../../src/media/srtp/index.js';
import { readCryptoLines } from '../../src/sdp/sdes.js';
import { speechWav, wavDurationMs, type Wav } from '../helpers/audio.js';
import { scoreEcho } from '../helpers/correlation.js';
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { freePort, requireTool, SIPP_INSTALL } from '../helpers/sipp.js';
import { sine } from '../helpers/tones.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';
import { encodeKey } from '../../src/sdp/sdes.js';

const ECHO_NUMBER = '+15550100001';
const AGENT_NUMBER = '+15550100002';
const PHONE = '+15557654321';
const SENTENCE = 'Patchbay secure echo, one two three four five';
const MIN_NCC = 0.9;
/** A 24 kHz frame whose peak stays under this is silence (−60 dBFS). */
const SILENT_PEAK = 32;

let dir: string;
let speech: { path: string; wav: Wav };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchbay-srtp-'));
  const path = join(dir, 'speech-8000.wav');
  speech = { path, wav: await speechWav(path, SENTENCE, { sampleRate: 8_000, leadMs: 200, tailMs: 200 }) };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The sentence baresip heard back, scored as the plain echo test does. */
async function expectEcho(label: string, heard: Wav | undefined): Promise<void> {
  expect(heard, label).toBeDefined();
  if (heard === undefined) return;
  const { ncc, utterances, detail } = await scoreEcho(speech.wav, heard);
  console.log(`[srtp] ${label}: NCC ${ncc.toFixed(4)} over ${utterances.length} utterances ${detail}`);
  expect(utterances.length, detail).toBeGreaterThanOrEqual(3);
  expect(ncc, detail).toBeGreaterThanOrEqual(MIN_NCC);
}

/**
 * No packet of the peer failed authentication or replay. `malformed` may count a few: libre sends an RTCP APP
 * "PING" in the clear on the RTCP port when the stream starts (16 bytes: no SRTCP index nor tag), refused as such.
 * With AES_CM_128_HMAC_SHA1_32, libre tags its SRTCP with 32 bits where RFC 3711 §5.2 (and libsrtp, and we) use 80:
 * its few RTCP packets fail authentication (counted, dropped; the audio is RTP and unaffected): `rtcpAuth` allows them.
 */
async function expectNoAuthFailures(gw: TestGateway, rtcpAuth = 0): Promise<void> {
  const { srtpFailures } = (await gw.gateway.stats()).media;
  expect(srtpFailures.auth, JSON.stringify(srtpFailures)).toBeLessThanOrEqual(rtcpAuth);
  expect(srtpFailures.replay, JSON.stringify(srtpFailures)).toBe(0);
  expect(srtpFailures.malformed, JSON.stringify(srtpFailures)).toBeLessThanOrEqual(2);
}

describe('baresip srtp-mand ↔ echo agent', () => {
  // baresip 1.0 offers one line, AES_CM_128_HMAC_SHA1_80 (the first of its suites); it answers any of its four.
  it('baresip calls in (AES_CM_128_HMAC_SHA1_80): the sentence comes back', async () => {
    const gw = await startTestGateway({ media: { codecs: ['PCMU'], srtp: 'required' }, numbers: { [ECHO_NUMBER]: { agent: 'echo' } } });
    try {
      const result = await baresipCall({
        uri: `sip:${ECHO_NUMBER}@127.0.0.1:${gw.sipPort}`,
        codecs: ['PCMU'],
        mediaenc: 'srtp-mand',
        microphone: speech.path,
        hangupAfterMs: wavDurationMs(speech.wav) + 1_000,
      });
      expect(result.established, describeCall(result)).toBe(true);
      expect(result.log, describeCall(result)).toContain('SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)');
      await expectEcho('baresip → gateway AES_CM_128_HMAC_SHA1_80', result.heard);
      await expectNoAuthFailures(gw);
      await gw.waitForIdle(3_000);
    } finally {
      await gw.close();
    }
  }, 45_000);

  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'] as const) {
    it(`the gateway calls baresip through a trunk with srtp: required, offering ${suite}: the sentence comes back`, async () => {
      const phonePort = await freePort('udp');
      const gw = await startTestGateway({
        media: { codecs: ['PCMU'], srtp: 'off', srtpSuites: [suite] },
        trunks: [{ name: 'phone', srtp: 'required', outbound: { proxy: { host: '127.0.0.1', port: phonePort }, allow: ['+1555'], codecs: ['PCMU'], callerId: { user: '+15550100001' } } }],
      });
      try {
        let placed: Promise<Response> | undefined;
        const result = await baresipCall({
          microphone: speech.path,
          codecs: ['PCMU'],
          mediaenc: 'srtp-mand',
          hangupAfterMs: wavDurationMs(speech.wav) + 1_000,
          establishTimeoutMs: 10_000,
          answer: {
            sipPort: phonePort,
            user: PHONE,
            onListening: () => {
              placed = fetch(`http://127.0.0.1:${gw.httpPort}/v1/calls`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ to: PHONE, trunk: 'phone', agent: 'echo' }),
                signal: AbortSignal.timeout(5_000),
              });
            },
          },
        });
        const res = await placed;
        expect(res?.status).toBe(201);
        expect(result.established, describeCall(result)).toBe(true);
        expect(result.log, describeCall(result)).toContain(`SRTP is Enabled (cryptosuite=${suite})`);
        await expectEcho(`gateway → baresip ${suite}`, result.heard);
        await expectNoAuthFailures(gw, suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 0);
        await gw.waitForIdle(3_000);
      } finally {
        await gw.close();
      }
    }, 45_000);
  }
});

/** An agent that records the peak of every audio frame it gets. */
interface RecordingAgent {
  server: WsAgentServer;
  peaks: number[];
}

async function recordingAgent(): Promise<RecordingAgent> {
  const peaks: number[] = [];
  const server = await startWsAgentServer((ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary || !Buffer.isBuffer(data)) return;
      const pcm = new Int16Array(data.buffer, data.byteOffset, Math.floor(data.length / 2));
      let peak = 0;
      for (const v of pcm) peak = Math.max(peak, Math.abs(v));
      peaks.push(peak);
    });
  });
  return { server, peaks };
}

function material(suite: SrtpSuite, fill: number): SrtpKeyMaterial {
  const info = SRTP_SUITES[suite];
  return { suite, masterKey: Buffer.alloc(info.keyLength, fill), masterSalt: Buffer.alloc(info.saltLength, fill + 1) };
}

describe('a caller whose SRTP key is not the one it announced', () => {
  let gw: TestGateway;
  let agent: RecordingAgent;

  beforeAll(async () => {
    agent = await recordingAgent();
    gw = await startTestGateway({ media: { codecs: ['PCMU'], srtp: 'required' }, numbers: { [AGENT_NUMBER]: { agent: agent.server.url } } });
  });

  afterAll(async () => {
    await gw.close();
    await agent.server.close();
  });

  /** A 1 s, −12 dBFS tone from a caller announcing key A; its packets protected with `sendWith` (the gateway's key as the remote). */
  async function call(sendWith: 'announced' | 'other'): Promise<{ peaks: number[]; perCall: SipCaller }> {
    const suite = 'AES_CM_128_HMAC_SHA1_80';
    const announced = material(suite, 0x21);
    let protect: (rtp: Uint8Array) => Uint8Array = () => {
      throw new Error('sending before the answer');
    };
    const caller = await SipCaller.call({
      host: '127.0.0.1',
      port: gw.sipPort,
      to: AGENT_NUMBER,
      srtp: { crypto: `1 ${suite} inline:${encodeKey(announced)}`, protect: (rtp) => protect(rtp) },
    });
    try {
      const [line] = readCryptoLines(/^a=crypto:(.*)$/m.exec(caller.answerSdp)?.slice(1) ?? []);
      if (line === undefined) throw new Error(`no a=crypto in the answer:\n${caller.answerSdp}`);
      const session = createSrtpSession({ local: sendWith === 'announced' ? announced : material(suite, 0x77), remote: line.key });
      protect = (rtp) => session.protectRtp(rtp);
      const before = agent.peaks.length;
      await caller.sendAudio(sine(8_000, 440, -12, 1_000));
      await waitFor(() => agent.peaks.length >= before + 40, 3_000, () => 'frames at the agent');
      return { peaks: agent.peaks.slice(before), perCall: caller };
    } finally {
      await caller.hangUp();
      await gw.waitForIdle(3_000);
    }
  }

  it('never reaches the agent as sound; the auth failures are counted in /stats and /metrics', async () => {
    const { peaks } = await call('other');
    const loud = peaks.filter((p) => p > SILENT_PEAK);
    console.log(`[srtp] wrong key: ${peaks.length} frames at the agent, ${loud.length} not silent (max peak ${Math.max(...peaks)})`);
    expect(loud).toEqual([]);
    const stats = await gw.gateway.stats();
    expect(stats.media.srtpFailures.auth).toBeGreaterThanOrEqual(45);
    expect(await gw.metrics()).toMatch(new RegExp(`patchbay_srtp_failures_total\\{failure="auth"\\} ${stats.media.srtpFailures.auth}\\b`));
  }, 20_000);

  it('with its announced key, the same caller is heard', async () => {
    const { peaks } = await call('announced');
    expect(peaks.filter((p) => p > 2_000).length).toBeGreaterThanOrEqual(40);
  }, 20_000);
});

describe('srtp: required and a plain offer', () => {
  it("SIPp's plain RTP/AVP offer gets 488 with its reason", async () => {
    const sipp = requireTool('sipp', SIPP_INSTALL);
    const gw = await startTestGateway({ media: { srtp: 'required' }, numbers: { '*': { agent: 'echo' } } });
    try {
      const port = await freePort('udp');
      const uac = spawn(sipp, ['127.0.0.1:' + String(gw.sipPort), '-sn', 'uac', '-s', ECHO_NUMBER, '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '10s', '-trace_msg', '-message_file', join(dir, 'sipp-msg.log')], { stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => uac.once('close', (c) => resolve(c)));
      expect(code).not.toBe(0); // the uac scenario expects 180/200
      const { readFile } = await import('node:fs/promises');
      const log = await readFile(join(dir, 'sipp-msg.log'), 'utf8');
      expect(log).toMatch(/SIP\/2\.0 488 Not Acceptable Here - SRTP required \(offered RTP\/AVP\)/);
      expect(log).toMatch(/Warning: 304 patchbay "Not Acceptable Here - SRTP required \(offered RTP\/AVP\)"/);
      const stats = await gw.gateway.stats();
      expect(stats.rejected['488']).toBe(1);
    } finally {
      await gw.close();
    }
  }, 20_000);
});
