/**
 * An outbound call to a real phone: `POST /v1/calls` places a call through a trunk whose proxy is baresip (it
 * answers by itself), to the built-in `echo` agent. baresip's microphone speaks an espeak-ng sentence; what it hears
 * back must be that sentence (normalised cross-correlation at the best lag), so audio went both ways through the
 * session our offer and its answer set up. Then the call shows as completed in the API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechWav, type Wav } from '../helpers/audio.js';
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { measureEcho } from '../helpers/correlation.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';

const PHONE = '+15557654321';
const SENTENCE = 'Patchbay calling you back, one two three';
const MIN_NCC = 0.9;

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

describe('outbound call to baresip (the called phone) with the echo agent', () => {
  it('baresip answers, hears its own sentence back, and the call completes', async () => {
    if (!gw || !mic) throw new Error('setup failed');
    const base = `http://127.0.0.1:${gw.httpPort}`;
    let placed: Promise<Response> | undefined;
    const result = await baresipCall({
      microphone: mic.path,
      codecs: ['PCMU'],
      hangupAfterMs: 4_500,
      establishTimeoutMs: 10_000,
      answer: {
        sipPort: phonePort,
        user: PHONE,
        onListening: () => {
          placed = fetch(`${base}/v1/calls`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ to: PHONE, trunk: 'phone', agent: 'echo' }),
            signal: AbortSignal.timeout(5_000),
          });
        },
      },
    });
    if (!placed) throw new Error('the call was never placed');
    const res = await placed;
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
});
