/**
 * End to end through real media: baresip calls a number routed to the built-in `echo` agent, speaks an espeak-ng
 * sentence into its microphone and records what comes back. The recording must match the sentence (normalised
 * cross-correlation at the best lag) over each codec, and the delay is measured.
 *
 * A baseline call to SIPp's `-rtp_echo` (which returns each packet as it arrives) first proves the harness itself:
 * what baresip records then is the sentence, bit-exact up to G.711, at lag 0.
 *
 * Delay: baresip's recording is written packet by packet, so its sample 0 is the first packet received, not the
 * answer. Two figures together give the round trip however the gateway starts its stream: the lag at the best
 * correlation (delay inside the received stream, when the gateway sends from the answer on), and the shortfall of
 * the received recording against the sent one (delay before the received stream began).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechWav, wavDurationMs, type Wav } from '../helpers/audio.js';
import { measureEcho, measureEchoByUtterance } from '../helpers/correlation.js';
import { baresipCall, describeCall, type BaresipCallResult, type BaresipCodec } from '../helpers/baresip.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort, requireTool, SIPP_INSTALL } from '../helpers/sipp.js';

const ECHO_NUMBER = '+15550100001';
const SENTENCE = 'Patchbay echo test, one two three four five';
const MIN_NCC = 0.9;
/** The jitter buffer starts up to 60 ms deep and settles to its 20 ms floor on a clean loopback: at most this much. */
const MAX_DELAY_STEP_MS = 60;
/** How long the call stays up after the sentence has been sent, for the echo to come back. */
const LISTEN_AFTER_MS = 1_000;

interface CodecCase {
  readonly codec: BaresipCodec;
  /** Microphone rate = the codec's rate, so baresip does not resample (its 8→16 kHz resampler alone costs 0.08 NCC). */
  readonly micRate: number;
  readonly bandHz: readonly [number, number];
  /** Lowest NCC any one utterance may have (default MIN_NCC). */
  readonly perWordFloor?: number;
}

const CASES: readonly CodecCase[] = [
  { codec: 'PCMU', micRate: 8_000, bandHz: [200, 3_400] },
  { codec: 'PCMA', micRate: 8_000, bandHz: [200, 3_400] },
  { codec: 'G722', micRate: 16_000, bandHz: [100, 7_000] },
  // Two lossy Opus generations (baresip → gateway → baresip) do not keep the waveform of noise-like sounds
  // (fricatives are coded parametrically), so a short fricative-heavy word may score lower on its own: Opus must
  // reach MIN_NCC over the whole sentence (length-weighted) and 0.8 on every word.
  { codec: 'opus', micRate: 48_000, bandHz: [100, 7_000], perWordFloor: 0.8 },
];

interface Figures {
  readonly path: string;
  readonly ncc: number;
  readonly lagMs: number;
  readonly shortfallMs: number;
}

const figures: Figures[] = [];

function report(path: string, mic: Wav, result: BaresipCallResult, ncc: number, lagMs: number): Figures {
  const sentMs = result.sent === undefined ? Number.NaN : wavDurationMs(result.sent);
  const heardMs = result.heard === undefined ? Number.NaN : wavDurationMs(result.heard);
  const f = { path, ncc, lagMs, shortfallMs: sentMs - heardMs };
  figures.push(f);
  console.log(
    `[echo] ${path}: NCC ${ncc.toFixed(4)} at lag ${lagMs.toFixed(2)} ms; sent ${sentMs.toFixed(0)} ms, ` +
      `heard ${heardMs.toFixed(0)} ms (shortfall ${f.shortfallMs.toFixed(0)} ms); ` +
      `round trip ≈ ${(lagMs + f.shortfallMs).toFixed(0)} ms; mic ${wavDurationMs(mic).toFixed(0)} ms`,
  );
  return f;
}

describe('echo agent: what the caller says comes back', () => {
  let dir: string;
  const mics = new Map<number, { path: string; wav: Wav }>();
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-echo-e2e-'));
    for (const rate of new Set(CASES.map((c) => c.micRate))) {
      const path = join(dir, `speech-${rate}.wav`);
      mics.set(rate, { path, wav: await speechWav(path, SENTENCE, { sampleRate: rate, leadMs: 200, tailMs: 200 }) });
    }
    gw = await startTestGateway({
      media: { codecs: ['PCMU', 'PCMA', 'G722', 'opus'] },
      numbers: { [ECHO_NUMBER]: { agent: 'echo' } },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
    if (figures.length > 0) console.log(`[echo] summary ${JSON.stringify(figures)}`);
  });

  function mic(rate: number): { path: string; wav: Wav } {
    const found = mics.get(rate);
    if (found === undefined) throw new Error(`no ${rate} Hz microphone file`);
    return found;
  }

  it('harness baseline: baresip ↔ SIPp -rtp_echo over PCMU returns the sentence at lag 0', async () => {
    const sipp = requireTool('sipp', SIPP_INSTALL);
    const port = await freePort('udp');
    const mediaPort = 30_000 + 2 * Math.floor(Math.random() * 2_000);
    const uas = spawn(
      sipp,
      ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort)]
        .concat(['-rtp_echo', '-m', '1', '-nostdin', '-timeout', '15s', '-timeout_error']),
      { stdio: 'ignore' },
    );
    try {
      const speech = mic(8_000);
      const result = await baresipCall({
        uri: `sip:echo@127.0.0.1:${port}`,
        codecs: ['PCMU'],
        microphone: speech.path,
        hangupAfterMs: wavDurationMs(speech.wav) + 500,
      });
      expect(result.established, describeCall(result)).toBe(true);
      expect(result.heard, describeCall(result)).toBeDefined();
      if (result.heard === undefined) return;
      const m = await measureEcho(speech.wav, result.heard, { minLagMs: -200, maxLagMs: 500 });
      report('baseline sipp-rtp-echo PCMU', speech.wav, result, m.ncc, m.lagMs);
      expect(m.ncc).toBeGreaterThan(0.99);
      expect(Math.abs(m.lagMs)).toBeLessThan(1);
    } finally {
      uas.kill('SIGKILL');
    }
  }, 40_000);

  for (const c of CASES) {
    it(`${c.codec}: the recording matches the sentence (NCC ≥ ${MIN_NCC}) and the delay is measured`, async () => {
      if (gw === undefined) throw new Error('gateway did not start');
      const speech = mic(c.micRate);
      const result = await baresipCall({
        uri: `sip:${ECHO_NUMBER}@127.0.0.1:${gw.sipPort}`,
        codecs: [c.codec],
        microphone: speech.path,
        hangupAfterMs: wavDurationMs(speech.wav) + LISTEN_AFTER_MS,
      });
      expect(result.established, describeCall(result)).toBe(true);
      expect(result.codec, describeCall(result)).toMatch(new RegExp(`^${c.codec} `, 'i'));
      expect(result.heard, describeCall(result)).toBeDefined();
      if (result.heard === undefined) return;
      const heardMs = wavDurationMs(result.heard);
      expect(heardMs, `heard ${heardMs} ms: no RTP back from the gateway?`).toBeGreaterThan(wavDurationMs(speech.wav));
      // The jitter buffer settles its depth in the pauses between words, so each utterance is aligned on its own
      // lag; each must match, and the delay may only step by what the buffer's bounds allow.
      const utterances = await measureEchoByUtterance(speech.wav, result.heard, { minLagMs: -200, maxLagMs: 1_000, bandHz: c.bandHz });
      const detail = JSON.stringify(utterances.map((u) => ({ at: u.startMs, ncc: +u.ncc.toFixed(3), lag: +u.lagMs.toFixed(2) })));
      expect(utterances.length, detail).toBeGreaterThanOrEqual(3);
      const worst = Math.min(...utterances.map((u) => u.ncc));
      const total = utterances.reduce((sum, u) => sum + u.lengthMs, 0);
      const weighted = utterances.reduce((sum, u) => sum + u.ncc * u.lengthMs, 0) / total;
      const lags = utterances.map((u) => u.lagMs);
      const f = report(`gateway echo ${c.codec}`, speech.wav, result, weighted, lags.at(-1) ?? NaN);
      console.log(`[echo] ${c.codec} per utterance: ${detail}`);
      expect(weighted, detail).toBeGreaterThanOrEqual(MIN_NCC);
      expect(worst, detail).toBeGreaterThanOrEqual(c.perWordFloor ?? MIN_NCC);
      expect(Math.max(...lags) - Math.min(...lags), detail).toBeLessThanOrEqual(MAX_DELAY_STEP_MS);
      expect(f.lagMs + f.shortfallMs).toBeLessThan(LISTEN_AFTER_MS);
      await gw.waitForIdle(3_000);
    }, 40_000);
  }
});
