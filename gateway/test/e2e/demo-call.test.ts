/**
 * End to end with the default configuration (every number goes to the built-in `demo` agent): baresip calls an
 * arbitrary number with a silent microphone and records what it hears. The recording must hold the greeting: loud
 * well above silence in the first seconds, and the greeting's own waveform (the agent's prompt files, found by
 * normalised cross-correlation), welcome first, then the menu.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameLevelsDbfs, readWav, resampleWav, toMono, wavDurationMs, writeWav } from '../helpers/audio.js';
import { measureEcho } from '../helpers/correlation.js';
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const PROMPTS = fileURLToPath(new URL('../../../agents/prompts/', import.meta.url));
/** A single greeting file, if the agent has one; otherwise its two parts. */
const GREETING = join(PROMPTS, 'greeting.wav');
const WELCOME = join(PROMPTS, 'welcome.wav');
const MENU = join(PROMPTS, 'menu.wav');
const MIN_NCC = 0.9;
const CALL_MS = 6_000;

describe('demo agent: the caller hears the greeting', () => {
  let dir: string;
  let silence: string;
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-demo-e2e-'));
    silence = join(dir, 'silence.wav');
    await writeWav(silence, { sampleRate: 8_000, channels: 1, samples: new Int16Array(8 * 1_000) });
    gw = await startTestGateway({});
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('PCMU call to any number: loud greeting in the first seconds that matches the prompt files', async () => {
    if (gw === undefined) throw new Error('gateway did not start');
    const result = await baresipCall({
      uri: `sip:+15550107777@127.0.0.1:${gw.sipPort}`,
      codecs: ['PCMU'],
      microphone: silence,
      hangupAfterMs: CALL_MS,
    });
    expect(result.established, describeCall(result)).toBe(true);
    expect(result.heard, describeCall(result)).toBeDefined();
    if (result.heard === undefined) return;
    const heard = toMono(await resampleWav(result.heard, 8_000));
    expect(heard.length / 8, `heard ${wavDurationMs(result.heard)} ms: no RTP from the gateway?`).toBeGreaterThan(2_000);

    // Energy: in the first 3 s, speech frames well above silence (PCMU's digital silence is about -80 dBFS).
    const levels = frameLevelsDbfs(heard.subarray(0, 3 * 8_000), 8_000, 20);
    const loud = levels.filter((l) => l > -45).length;
    const loudest = Math.max(...levels);
    console.log(`[demo] first 3 s: loudest 20 ms frame ${loudest.toFixed(1)} dBFS, ${loud}/${levels.length} frames > -45 dBFS`);
    expect(loudest).toBeGreaterThan(-30);
    expect(loud / levels.length).toBeGreaterThan(0.2);

    // Waveform: the prompt files are in the recording, in order.
    const parts = existsSync(GREETING) ? [GREETING] : [WELCOME, MENU];
    let earliestMs = -200;
    for (const part of parts) {
      expect(existsSync(part), `prompt file missing: ${part}`).toBe(true);
      const prompt = await readWav(part);
      const m = await measureEcho(prompt, result.heard, { minLagMs: earliestMs, maxLagMs: CALL_MS - wavDurationMs(prompt) });
      console.log(`[demo] ${part.slice(PROMPTS.length)}: NCC ${m.ncc.toFixed(4)} at ${m.lagMs.toFixed(1)} ms into the recording`);
      expect(m.ncc, `${part}: ${JSON.stringify(m.coarse)}`).toBeGreaterThanOrEqual(MIN_NCC);
      earliestMs = m.lagMs + wavDurationMs(prompt) - 50;
    }
  }, 40_000);
});
