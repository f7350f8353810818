/**
 * An outbound call to a real phone: `POST /v1/calls` places a call through a trunk whose proxy is baresip (it
 * answers by itself), to the built-in `echo` agent. baresip's microphone speaks an espeak-ng sentence; what it hears
 * back must be that sentence (normalised cross-correlation at the best lag), so audio went both ways through the
 * session our offer and its answer set up. Then the call shows as completed in the API. A second call reaches the
 * built-in `demo` agent: the called phone hears the greeting prompt (its waveform found in the recording).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, speechWav, wavDurationMs, writeWav, type Wav } from '../helpers/audio.js';
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { measureEcho, measureEchoByUtterance, weightedNcc } from '../helpers/correlation.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';

const PHONE = '+15557654321';
const SENTENCE = 'Patchbay calling you back, one two three';
const MIN_NCC = 0.9;
const PROMPTS = fileURLToPath(new URL('../../../agents/prompts/', import.meta.url));
const DEMO_CALL_MS = 6_000;

let gw: TestGateway | undefined;
let phonePort = 0;
let dir = '';
let mic: { path: string; wav: Wav } | undefined;

beforeAll(async () => {
  phonePort = await freePort('udp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-outbound-'));
  const path = join(dir, 'mic.wav');
  mic = { path, wav: await speechWav(path, SENTENCE, { sampleRate: 8_000, leadMs: 600, tailMs: 200 }) };
  gw = await startTestGateway({
    trunks: [{ name: 'phone', outbound: { proxy: { host: '127.0.0.1', port: phonePort }, allow: ['+1555'], codecs: ['PCMU'], callerId: { user: '+15550100001' } } }],
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('outbound calls to baresip (the called phone)', () => {
  /** baresip listens as the phone; once it does, the API places the call to it with `agent`. */
  async function callThePhone(agent: string, microphone: string, hangupAfterMs: number) {
    if (!gw) throw new Error('setup failed');
    const base = `http://127.0.0.1:${gw.httpPort}`;
    let placed: Promise<Response> | undefined;
    const result = await baresipCall({
      microphone,
      codecs: ['PCMU'],
      hangupAfterMs,
      establishTimeoutMs: 10_000,
      answer: {
        sipPort: phonePort,
        user: PHONE,
        onListening: () => {
          placed = fetch(`${base}/v1/calls`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ to: PHONE, trunk: 'phone', agent }),
            signal: AbortSignal.timeout(5_000),
          });
        },
      },
    });
    if (!placed) throw new Error('the call was never placed');
    return { base, result, res: await placed };
  }

  it('baresip answers, hears its own sentence back, and the call completes', async () => {
    if (!gw || !mic) throw new Error('setup failed');
    const { base, result, res } = await callThePhone('echo', mic.path, 4_500);
    const call = (await res.json()) as { id: string; direction: string };
    expect(res.status).toBe(201);
    expect(call.direction).toBe('outbound');
    expect(result.established, describeCall(result)).toBe(true);
    expect(result.codec, describeCall(result)).toMatch(/^PCMU/);
    if (!result.heard) throw new Error(`no recording\n${describeCall(result)}`);
    const m = await measureEcho(mic.wav, result.heard, { minLagMs: -200, maxLagMs: 800 });
    expect(m.ncc, `NCC ${m.ncc.toFixed(3)} at lag ${m.lagMs.toFixed(1)} ms`).toBeGreaterThan(MIN_NCC);
    // baresip hung up (BYE from the far end): the call completed.
    await waitFor(async () => {
      const r = await fetch(`${base}/v1/calls/${call.id}`);
      return ((await r.json()) as { status: string }).status === 'completed';
    }, 5_000);
    const final = (await (await fetch(`${base}/v1/calls/${call.id}`)).json()) as Record<string, unknown>;
    expect(final).toMatchObject({ status: 'completed', endReason: 'remote-bye', sipStatus: 200, codec: 'PCMU' });
    console.log(`outbound echo via baresip: NCC ${m.ncc.toFixed(3)}, lag ${m.lagMs.toFixed(1)} ms`);
  }, 60_000);

  it('to the demo agent: the called phone hears the greeting', async () => {
    const silence = join(dir, 'silence.wav');
    await writeWav(silence, { sampleRate: 8_000, channels: 1, samples: new Int16Array(8 * 1_000) });
    const { result, res } = await callThePhone('demo', silence, DEMO_CALL_MS);
    expect(res.status).toBe(201);
    expect(result.established, describeCall(result)).toBe(true);
    if (!result.heard) throw new Error(`no recording\n${describeCall(result)}`);
    const greeting = join(PROMPTS, 'greeting.wav');
    const parts = existsSync(greeting) ? [greeting] : [join(PROMPTS, 'welcome.wav')];
    for (const part of parts) {
      const prompt = await readWav(part);
      // Word by word, as every real-phone test judges speech: a clock stall on a loaded machine may move the rest of
      // the prompt by a packet in a pause (the whole-file figure then drops), never corrupt a word.
      const words = await measureEchoByUtterance(prompt, result.heard, { minLagMs: -200, maxLagMs: DEMO_CALL_MS - wavDurationMs(prompt) });
      const ncc = weightedNcc(words);
      const lags = words.map((w) => w.lagMs.toFixed(1)).join(', ');
      const whole = await measureEcho(prompt, result.heard, { minLagMs: -200, maxLagMs: DEMO_CALL_MS - wavDurationMs(prompt) });
      console.log(`outbound demo via baresip: ${part.slice(PROMPTS.length)} NCC ${ncc.toFixed(3)} over ${words.length} utterances at ${lags} ms (whole file ${whole.ncc.toFixed(3)})`);
      expect(ncc, `${part}: ${JSON.stringify(words)}`).toBeGreaterThanOrEqual(MIN_NCC);
    }
  }, 60_000);
});
