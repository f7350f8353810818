/**
 * Hold across a bridge (docs/forwarding.md §The media of a bridge): a caller (our SIP caller, PCMU) reaches a number
 * that forwards to a person (baresip, G.722). Once bridged, the caller puts the call on hold with a re-INVITE
 * (`sendonly`); the person speaks meanwhile. The gateway must answer `recvonly` and send the caller nothing while it
 * holds; and what the person said during the hold must not be played when the caller resumes (`sendrecv`): the
 * person's next sentence must come through at the bridge's usual delay, and the caller's own speech must reach the
 * person again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { padWav, speechWav, writeWav, type Wav } from '../helpers/audio.js';
import { baresipCall, describeCall, type BaresipCallResult } from '../helpers/baresip.js';
import { measureEcho, measureEchoByUtterance, weightedNcc } from '../helpers/correlation.js';
import { peopleTrunk } from '../helpers/forwarding-phones.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { freePort } from '../helpers/sipp.js';

const NUMBER = '+15550100790';
const PERSON = '+15551110030';
const MIN_NCC = 0.9;
/** When the caller resumes, after the answer; the person's second sentence starts 2.5 s later. */
const RESUME_AT_MS = 5_000;
const SECOND_SENTENCE_AT_MS = 7_500;

let gateway: TestGateway | undefined;
let personPort = 0;
let dir = '';
/** The person's first sentence (spoken while held), their second (after the resume), both from 0 ms. */
let heldSentence: Wav | undefined;
let laterSentence: Wav | undefined;
let personMicPath = '';
let callerSentence: Wav | undefined;

beforeAll(async () => {
  personPort = await freePort('udp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-hold-'));
  heldSentence = await speechWav(join(dir, 'held.wav'), 'Front desk, this is Maria speaking, how can I help', { sampleRate: 16_000, leadMs: 0, tailMs: 0 });
  laterSentence = await speechWav(join(dir, 'later.wav'), 'Sorry about the wait, I am back with you now', { sampleRate: 16_000, leadMs: 0, tailMs: 0 });
  callerSentence = await speechWav(join(dir, 'caller.wav'), 'Yes, I would like to change my delivery address', { sampleRate: 8_000, leadMs: 0, tailMs: 200 });
  // The person's microphone: the first sentence at 0.8 s (the caller holds), the second at 7.5 s (resumed).
  const mic = new Int16Array((SECOND_SENTENCE_AT_MS * 16) + laterSentence.samples.length + 16_000);
  mic.set(heldSentence.samples, 800 * 16);
  mic.set(laterSentence.samples, SECOND_SENTENCE_AT_MS * 16);
  personMicPath = join(dir, 'person.wav');
  await writeWav(personMicPath, { sampleRate: 16_000, channels: 1, samples: mic });
  gateway = await startTestGateway({
    trunks: [peopleTrunk(personPort)],
    numbers: { [NUMBER]: { agent: 'echo', forward: { to: [{ to: PERSON, trunk: 'people' }], ringTimeoutS: 10, fallback: 'reject' } } },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** What the caller heard from `fromMs` on (performance.now()), as 8 kHz PCM in arrival order. */
function heardSince(caller: SipCaller, fromMs: number): Wav {
  const packets = caller.received.filter((p) => p.arrivalMs >= fromMs && p.payloadType === 0);
  return { sampleRate: 8_000, channels: 1, samples: concat(packets.map((p) => p.pcm)) };
}

describe('hold across a bridge (SIP caller ↔ baresip person)', () => {
  it('holding sends the caller nothing, resuming plays nothing said on hold, and both directions come back', async () => {
    if (!gateway || !heldSentence || !laterSentence || !callerSentence) throw new Error('setup failed');
    const gw = gateway;
    let caller: SipCaller | undefined;
    let steps: Promise<void> | undefined;
    const marks = { heldMs: 0, resumedMs: 0, holdAnswer: '', resumeAnswer: '' };
    let person: BaresipCallResult;
    try {
      person = await baresipCall({
        answer: {
          sipPort: personPort,
          user: PERSON,
          onListening: () => {
            steps = (async () => {
              caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER, answerTimeoutMs: 15_000 });
              const answered = caller.answeredMs;
              marks.holdAnswer = await caller.reinvite('sendonly');
              marks.heldMs = performance.now();
              await new Promise((r) => setTimeout(r, answered + RESUME_AT_MS - performance.now()));
              marks.resumeAnswer = await caller.reinvite('sendrecv');
              marks.resumedMs = performance.now();
              await caller.sendAudio(padWav({ sampleRate: 8_000, channels: 1, samples: callerSentence?.samples ?? new Int16Array() }, 200, 0).samples);
              await new Promise((r) => setTimeout(r, answered + SECOND_SENTENCE_AT_MS + 4_500 - performance.now()));
              await caller.bye();
            })();
            // Awaited once the person's phone is done; until then a failure is held here, not thrown unhandled.
            steps.catch(() => undefined);
          },
        },
        microphone: personMicPath,
        codecs: ['G722'],
        hangupAfterMs: 20_000,
        establishTimeoutMs: 20_000,
      });
      await steps;
    } finally {
      caller?.close();
    }
    if (!caller) throw new Error('the caller never called');
    expect(person.established, describeCall(person)).toBe(true);
    expect(marks.holdAnswer).toMatch(/^a=recvonly\r?$/m);
    expect(marks.resumeAnswer).toMatch(/^a=sendrecv\r?$/m);

    // On hold: nothing sent to the caller (a packet already on its way when the 200 left may still land).
    const whileHeld = caller.received.filter((p) => p.arrivalMs > marks.heldMs + 60 && p.arrivalMs < marks.resumedMs);
    const afterResume = heardSince(caller, marks.resumedMs);
    // Resumed: the person's second sentence arrives at the bridge's delay; the first, said during the hold, never.
    const expectedLagMs = caller.answeredMs + SECOND_SENTENCE_AT_MS - marks.resumedMs;
    // Each utterance on its own lag: a bridge's jitter buffer may move its delay between words (never inside one).
    const laterUtterances = await measureEchoByUtterance(laterSentence, afterResume, { minLagMs: expectedLagMs - 500, maxLagMs: expectedLagMs + 1_000 });
    const later = { ncc: weightedNcc(laterUtterances), lagMs: laterUtterances[0]?.lagMs ?? Number.NaN };
    const held = await measureEcho(heldSentence, afterResume, { minLagMs: 0, maxLagMs: expectedLagMs - 600 });
    // The caller's sentence, sent after resuming, reaches the person.
    if (!person.heard) throw new Error('the person recorded nothing');
    const callerAtPerson = { ncc: weightedNcc(await measureEchoByUtterance(callerSentence, person.heard, { minLagMs: 0, maxLagMs: 12_000 })) };
    console.log(`bridge hold: ${whileHeld.length} packets to the caller while held; after resume: later sentence NCC ${later.ncc.toFixed(3)} at ${(later.lagMs - expectedLagMs).toFixed(0)} ms past its time, held sentence NCC ${held.ncc.toFixed(3)}; the caller at the person NCC ${callerAtPerson.ncc.toFixed(3)}`);
    expect(whileHeld.length).toBe(0);
    expect(later.ncc, 'the person heard after resuming').toBeGreaterThanOrEqual(MIN_NCC);
    expect(later.lagMs - expectedLagMs, 'at the bridge delay, not behind a backlog').toBeLessThan(300);
    expect(held.ncc, 'nothing said on hold is played after it').toBeLessThan(0.5);
    expect(callerAtPerson.ncc, 'the caller heard by the person after resuming').toBeGreaterThanOrEqual(MIN_NCC);
  }, 60_000);
});
