/**
 * The openai-realtime adapter end to end: a real gateway loads it by name from `numbers:` (with the API key from the
 * gateway's env), the adapter's official-SDK client talks to the package's fake Realtime server on loopback, and a
 * scripted SIP caller (PCMU, RTP paced at 20 ms) speaks espeak-ng speech and records every packet it hears.
 *
 * The fake answers with tones at known frequencies (greeting 440 Hz, answers 1 kHz / 660 Hz), so "what the caller
 * heard" is the count of non-silent packets, and which answer it was is their frequency.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRealtimeServer, type FakeSession, type ResponseScript } from '@patchbay/adapter-openai-realtime/testing';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { onsetSpeech, rmsDbfs, speechWav } from '../helpers/audio.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller, type ReceivedRtp } from '../helpers/sip-caller.js';
import { zeroCrossingHz } from '../helpers/tones.js';

const NUMBER = '+15550100301';
const CALLER_RATE = 8_000;
const FRAME_MS = 20;
/** A gateway packet quieter than this is silence (the fake's tones are −12 dBFS). */
const SILENT_DBFS = -55;

const isAgentAudio = (p: ReceivedRtp): boolean => p.payloadType === 0 && rmsDbfs(p.pcm) > SILENT_DBFS;

/** Silent packets received since the last non-silent one. */
function trailingSilence(received: readonly ReceivedRtp[]): number {
  return received.length - 1 - received.findLastIndex(isAgentAudio);
}

/** Dominant frequency of the packets' audio, from zero crossings (a pure tone: exact enough to tell 440 from 660). */
const frequencyHz = (packets: readonly ReceivedRtp[]): number => zeroCrossingHz(concat(packets.map((p) => p.pcm)), CALLER_RATE);

function withTail(speech: Int16Array, tailMs: number): Int16Array {
  const out = new Int16Array(speech.length + (CALLER_RATE * tailMs) / 1000);
  out.set(speech);
  return out;
}

describe('openai-realtime adapter, end to end', () => {
  let dir = '';
  let speech: Int16Array = new Int16Array(0);
  let fake: FakeRealtimeServer | undefined;
  let gw: TestGateway | undefined;
  let caller: SipCaller | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-realtime-e2e-'));
    // Cut at its onset and scaled to about −20 dBFS over its active part: the gateway's detector takes it.
    speech = onsetSpeech((await speechWav(join(dir, 'caller.wav'), 'Hello there I have a question', { leadMs: 0, tailMs: 0 })).samples, CALLER_RATE, -20);
    // Audio twice as fast as real time: a 5 s answer is still being generated 1.5 s into its playback.
    fake = await FakeRealtimeServer.start({ realtimeFactor: 2, chunkMs: 100 });
    gw = await startTestGateway(
      {
        numbers: {
          [NUMBER]: {
            agent: { adapter: 'openai-realtime', baseUrl: fake.url, apiKeyEnv: 'OPENAI_API_KEY', greeting: 'Greet the caller.', voice: 'marin' },
          },
        },
      },
      { env: { OPENAI_API_KEY: 'sk-test' } },
    );
  });

  afterEach(async () => {
    const live = caller;
    caller = undefined;
    await live?.hangUp();
    await gw?.waitForIdle(5_000);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function place(script: ResponseScript): Promise<{ sip: SipCaller; session: FakeSession }> {
    if (gw === undefined || fake === undefined) throw new Error('gateway did not start');
    fake.script = script;
    const index = fake.sessions.length;
    const sip = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER });
    caller = sip;
    return { sip, session: await fake.session(index) };
  }

  /** Non-silent packets that arrived in `[fromMs, toMs)`. */
  const heard = (sip: SipCaller, fromMs: number, toMs = Number.POSITIVE_INFINITY): ReceivedRtp[] =>
    sip.received.filter((p) => p.arrivalMs >= fromMs && p.arrivalMs < toMs && isAgentAudio(p));

  /** Waits until `count` agent packets have arrived since `fromMs`. */
  async function hear(sip: SipCaller, fromMs: number, count: number, what: string): Promise<void> {
    await waitFor(() => heard(sip, fromMs).length >= count, 10_000, () => `${what}: ${heard(sip, fromMs).length} of ${count} packets`);
  }

  /** Waits for 5 silent packets in a row (the agent stopped, or finished), returns when. */
  async function quiet(sip: SipCaller, what: string): Promise<number> {
    await waitFor(() => trailingSilence(sip.received) >= 5, 8_000, () => `${what}: agent audio still playing`);
    return performance.now();
  }

  it('greeting heard, the caller speaks, the answer heard; stage{realtime} recorded', async () => {
    const { sip, session } = await place(({ index }) => [{ type: 'audio', ms: index === 0 ? 1_000 : 1_200, hz: index === 0 ? 440 : 660 }]);
    await hear(sip, 0, 50, 'greeting');
    const greetingDone = await quiet(sip, 'greeting');
    const greeting = heard(sip, 0, greetingDone);
    expect(greeting.length, 'the whole 1,000 ms greeting (+1 resampler tail)').toBeGreaterThanOrEqual(50);
    expect(greeting.length).toBeLessThanOrEqual(51);
    expect(Math.abs(frequencyHz(greeting) - 440)).toBeLessThan(25);

    await sip.sendAudio(withTail(speech, 900));
    const spokeAt = performance.now();
    await hear(sip, greetingDone, 60, 'answer');
    await quiet(sip, 'answer');
    const answer = heard(sip, greetingDone);
    expect(answer.length).toBeGreaterThanOrEqual(60);
    expect(answer.length).toBeLessThanOrEqual(61);
    expect(Math.abs(frequencyHz(answer) - 660)).toBeLessThan(30);
    expect(answer[0]?.arrivalMs ?? 0, 'the answer follows the end of the speech').toBeGreaterThan(spokeAt - 900);

    // The model heard the caller (its VAD started the answer), with the configuration the adapter sent.
    expect(session.responses.map((r) => r.trigger)).toEqual(['client', 'vad']);
    expect(session.eventsOf('session.update')[0]?.['session']).toMatchObject({ audio: { input: { format: { type: 'audio/pcm', rate: 24000 } }, output: { voice: 'marin' } } });
    expect(session.errorsSent).toEqual([]);
    const stats = await gw?.gateway.stats();
    expect(stats?.hops.realtimeMs.count, 'stage{realtime} reached the gateway').toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('interruptions: truncate{audio_end_ms} is what the caller heard of the item, in a fresh turn and after a full answer in the same turn', async () => {
    const script: ResponseScript = ({ index }) =>
      [
        [{ type: 'audio' as const, ms: 5_000, hz: 440 }], // greeting: interrupted
        [{ type: 'audio' as const, ms: 600, hz: 1_000 }], // answer 1: plays in full
        [{ type: 'audio' as const, ms: 5_000, hz: 660 }], // answer 2: interrupted (same gateway turn as answer 1)
      ][index] ?? [{ type: 'audio' as const, ms: 400, hz: 1_000 }];
    const { sip, session } = await place(script);

    // 1. The caller speaks over the greeting 1.5 s in: the greeting item starts the turn, so its audio_end_ms is
    //    interrupted.playedMs itself, which is what left on RTP.
    await hear(sip, 0, 75, 'greeting');
    const speaking1 = sip.sendAudio(withTail(speech, 900));
    const cut1 = await quiet(sip, 'greeting after the interruption');
    const greetingHeard = heard(sip, 0, cut1);
    await waitFor(() => session.truncations.length >= 1, 3_000, () => 'no truncate for the greeting');
    const greetingItem = session.responses[0]?.items[0]?.id;
    const t1 = session.truncations[0];
    expect(t1?.itemId).toBe(greetingItem);
    expect(Math.abs((t1?.audioEndMs ?? 0) - greetingHeard.length * FRAME_MS), `heard ${greetingHeard.length} packets`).toBeLessThanOrEqual(FRAME_MS);
    expect(greetingHeard.length * FRAME_MS).toBeLessThan(3_000); // it really was cut
    // It was still being generated: the adapter cancelled it.
    expect(session.eventsOf('response.cancel')).toEqual([{ type: 'response.cancel', response_id: session.responses[0]?.id }]);

    // 2. The answer to that speech plays in full after the clear (a new gateway turn starts with it).
    await speaking1;
    await hear(sip, cut1, 30, 'answer 1');
    const answer1Done = await quiet(sip, 'answer 1');
    expect(heard(sip, cut1, answer1Done).length).toBeGreaterThanOrEqual(30);
    expect(Math.abs(frequencyHz(heard(sip, cut1, answer1Done)) - 1_000)).toBeLessThan(50);

    // 3. The caller speaks again; the 5 s answer 2 plays after answer 1 in the same turn; the caller interrupts it.
    await sip.sendAudio(withTail(speech, 900));
    const answer2From = answer1Done;
    await hear(sip, answer2From, 75, 'answer 2');
    const speaking3 = sip.sendAudio(withTail(speech, 900));
    const cut2 = await quiet(sip, 'answer 2 after the interruption');
    const answer2Heard = heard(sip, answer2From, cut2);
    await waitFor(() => session.truncations.length >= 2, 3_000, () => `truncations: ${JSON.stringify(session.truncations)}`);
    const t2 = session.truncations[1];
    expect(t2?.itemId).toBe(session.responses[2]?.items[0]?.id);
    // The gateway's playedMs counted answer 1 too (600 ms); the adapter subtracted it: audio_end_ms is answer 2's part.
    expect(Math.abs((t2?.audioEndMs ?? 0) - answer2Heard.length * FRAME_MS), `heard ${answer2Heard.length} packets of answer 2`).toBeLessThanOrEqual(FRAME_MS);
    expect(Math.abs(frequencyHz(answer2Heard) - 660)).toBeLessThan(30);
    await speaking3;
    console.table([
      { cut: 'greeting (starts the turn)', audioEndMs: t1?.audioEndMs, heardOnRtpMs: greetingHeard.length * FRAME_MS },
      { cut: 'answer 2 (after answer 1 in the turn)', audioEndMs: t2?.audioEndMs, heardOnRtpMs: answer2Heard.length * FRAME_MS },
    ]);

    // Every truncation was accepted (none past the generated audio), and answer 1 was never truncated.
    expect(session.truncations).toHaveLength(2);
    expect(session.errorsSent).toEqual([]);
    // The gateway's own count (recorded when the call ends): both were its interruptions.
    await sip.bye();
    caller = undefined;
    sip.close();
    await gw?.waitForIdle(5_000);
    const stats = await gw?.gateway.stats();
    expect(stats?.bargeIn[NUMBER]?.interruptions).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('end_call: the goodbye is heard in full, then the caller receives BYE', async () => {
    const { sip, session } = await place(({ index }) =>
      index === 0
        ? [{ type: 'audio', ms: 600, hz: 440 }]
        : [
            { type: 'audio', ms: 1_000, hz: 660, transcript: 'Goodbye!' },
            { type: 'function_call', name: 'end_call', arguments: { reason: 'caller said bye' } },
          ],
    );
    await hear(sip, 0, 30, 'greeting');
    const greetingDone = await quiet(sip, 'greeting');
    await sip.sendAudio(withTail(speech, 900));
    await waitFor(() => sip.hasEnded, 10_000, () => `no BYE; heard ${heard(sip, greetingDone).length} goodbye packets`);
    const byeAt = performance.now();
    const goodbye = heard(sip, greetingDone, byeAt);
    expect(goodbye.length, 'the whole 1,000 ms goodbye before BYE (+1 resampler tail)').toBeGreaterThanOrEqual(50);
    expect(goodbye.length).toBeLessThanOrEqual(51);
    expect(Math.abs(frequencyHz(goodbye) - 660)).toBeLessThan(30);
    expect(sip.hasEnded).toBe(true);
    // The model was told its call went through.
    const output = session.eventsOf('conversation.item.create').find((e) => (e['item'] as { type?: string }).type === 'function_call_output');
    expect(output).toBeDefined();
    caller = undefined;
    sip.close();
  }, 40_000);
});
