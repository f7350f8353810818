/**
 * `protocol: twilio` end to end: a real gateway, a scripted SIP caller (PCMU, RTP paced on an absolute 20 ms
 * schedule) and a bot written only from Twilio's Media Streams documentation (`helpers/twilio-bot.ts`). The bot
 * plays tones (600 Hz greeting, 800 Hz reply) and the caller a 1 kHz tone or espeak-ng speech, so what reached
 * whom is told apart by frequency. Caller, gateway and bot share one `performance.now()` clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { onsetSpeech, rmsDbfs, speechWav } from '../helpers/audio.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller, type ReceivedRtp } from '../helpers/sip-caller.js';
import { powerAt, sine, zeroCrossingHz } from '../helpers/tones.js';
import { TwilioBot, type TwilioBotCall } from '../helpers/twilio-bot.js';

const BASIC = '+15550100031';
const BOT_CLEARS = '+15550100032';
const GATEWAY_BARGE_IN = '+15550100033';
const ADAPTER_FORM = '+15550100034';
const RATE = 8_000;
const PACKET_MS = 20;
const GREETING_HZ = 600;
const REPLY_HZ = 800;
const CALLER_HZ = 1_000;
/** A caller packet quieter than this carries no bot audio (the tones are −12 dBFS). */
const AUDIBLE_DBFS = -40;
/**
 * How early a mark may come back relative to the arrival of the last packet with audio before it: the packet
 * after the one that completes the audio carries the last 4 ms still in the gateway's RTP-side resampler.
 */
const MARK_EARLY_MS = PACKET_MS + 5;

// ---- signals and measures ---------------------------------------------------------------------------------------

/** The bots' and the caller's tones: −12 dBFS. */
const tone = (hz: number, ms: number): Int16Array => sine(RATE, hz, -12, ms);

const silence = (ms: number): Int16Array => new Int16Array((RATE * ms) / 1000);

/** Audible, and `hz` stronger by 10× than each of the other tones in play. */
function carries(pcm: Int16Array, hz: number): boolean {
  if (rmsDbfs(pcm) < AUDIBLE_DBFS) return false;
  const others = [GREETING_HZ, REPLY_HZ, CALLER_HZ].filter((f) => f !== hz);
  const p = powerAt(pcm, RATE, hz);
  return others.every((f) => p > 10 * powerAt(pcm, RATE, f));
}

const audible = (p: ReceivedRtp): boolean => p.payloadType === 0 && rmsDbfs(p.pcm) > AUDIBLE_DBFS;

function contiguous(packets: readonly ReceivedRtp[]): boolean {
  return packets.every((p, i) => i === 0 || p.sequence === (((packets[i - 1]?.sequence ?? 0) + 1) & 0xffff));
}

function markAt(call: TwilioBotCall, name: string): number {
  const mark = call.marks(name)[0];
  if (mark === undefined) throw new Error(`no mark ${name}\n${call.describe()}`);
  return mark.atMs;
}

// ---- the suite --------------------------------------------------------------------------------------------------

describe('protocol: twilio, end to end', () => {
  let bot: TwilioBot;
  let gw: TestGateway | undefined;
  let caller: SipCaller | undefined;
  let dir = '';
  let speech: Int16Array = new Int16Array(0);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-twilio-'));
    speech = onsetSpeech((await speechWav(join(dir, 'caller.wav'), 'Oh wait, one question please.', { leadMs: 0, tailMs: 0 })).samples, RATE, -20);
    bot = await TwilioBot.start('/media');
    gw = await startTestGateway({
      numbers: {
        [BASIC]: { agent: bot.url, protocol: 'twilio', parameters: { language: 'en', tenant: 'acme' } },
        [BOT_CLEARS]: { agent: bot.url, protocol: 'twilio', bargeIn: 'off' },
        [GATEWAY_BARGE_IN]: { agent: bot.url, protocol: 'twilio', bargeIn: 'gateway' }, // opt-in: twilio numbers default to off
        [ADAPTER_FORM]: { agent: { adapter: 'websocket', url: bot.url, protocol: 'twilio' } },
      },
    });
  }, 30_000);

  afterEach(async () => {
    const live = caller;
    caller = undefined;
    await live?.hangUp();
    await gw?.waitForIdle(5_000);
  });

  afterAll(async () => {
    await gw?.close();
    await bot.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function place(number: string, script: TwilioBot['script']): Promise<{ sip: SipCaller; call: TwilioBotCall }> {
    if (gw === undefined) throw new Error('gateway did not start');
    bot.script = script;
    const index = bot.calls.length;
    const sip = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: number });
    caller = sip;
    return { sip, call: await bot.call(index) };
  }

  it('speaks Twilio: connected, start, 20 ms media with the caller\'s tone, greeting and its mark, dtmf, stop', async () => {
    const { sip, call } = await place(BASIC, { greeting: tone(GREETING_HZ, 1_000), clearOnSpeech: false });
    await waitFor(() => call.marks('greeting').length === 1, 5_000, () => call.describe());

    // connected, then start with Twilio's fields and types.
    const [connected, start] = call.received.map((r) => r.msg);
    expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const streamSid = String(start?.['streamSid']);
    expect(streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(start).toEqual({
      event: 'start',
      sequenceNumber: '1',
      start: {
        accountSid: expect.stringMatching(/^AC[0-9a-f]{32}$/) as unknown,
        streamSid,
        callSid: expect.stringMatching(/^CA[0-9a-f]{32}$/) as unknown,
        tracks: ['inbound'],
        customParameters: { language: 'en', tenant: 'acme' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid,
    });

    // The greeting reached the caller: 1 s of 600 Hz, without a gap; its mark came back once it had played.
    const greeting = sip.received.filter((p) => carries(p.pcm, GREETING_HZ));
    expect(greeting.length).toBeGreaterThanOrEqual(48);
    expect(greeting.length).toBeLessThanOrEqual(51);
    expect(contiguous(greeting)).toBe(true);
    const first = greeting[0];
    const last = greeting.at(-1);
    if (first === undefined || last === undefined) throw new Error('no greeting');
    const mark = markAt(call, 'greeting');
    expect(mark - first.arrivalMs, call.describe()).toBeGreaterThanOrEqual(940);
    expect(mark - last.arrivalMs, call.describe()).toBeGreaterThanOrEqual(-MARK_EARLY_MS);
    expect(mark - last.arrivalMs, call.describe()).toBeLessThan(100);
    expect(call.marks('greeting')[0]?.msg).toEqual({ event: 'mark', sequenceNumber: expect.stringMatching(/^\d+$/) as unknown, streamSid, mark: { name: 'greeting' } });

    // The caller's 1 kHz tone comes through as 160-byte µ-law chunks, one per 20 ms, numbered without a gap.
    const toneFrom = call.inbound.length;
    await sip.sendAudio(concat([tone(CALLER_HZ, 1_000), silence(300)]));
    await waitFor(() => call.inbound.length >= toneFrom + 60, 2_000, () => `${call.inbound.length} chunks`);
    const chunks = call.inbound;
    for (const c of chunks) {
      expect(c.track).toBe('inbound');
      expect(c.pcm.length).toBe(160);
    }
    chunks.forEach((c, i) => {
      expect(c.chunk).toBe(String(i + 1));
      expect(c.timestamp).toBe(String(i * PACKET_MS));
    });
    const sequence = call.received.slice(1).map((r) => r.msg['sequenceNumber']);
    expect(sequence).toEqual(sequence.map((_, i) => String(i + 1)));
    const cadenceMs = ((chunks.at(-1)?.atMs ?? 0) - (chunks[0]?.atMs ?? 0)) / (chunks.length - 1);
    expect(cadenceMs).toBeGreaterThan(19);
    expect(cadenceMs).toBeLessThan(21);
    const heard = chunks.slice(toneFrom).filter((c) => carries(c.pcm, CALLER_HZ));
    expect(heard.length).toBeGreaterThanOrEqual(48);
    expect(heard.length).toBeLessThanOrEqual(51);
    const steady = concat(heard.slice(2, -2).map((c) => c.pcm));
    expect(zeroCrossingHz(steady, RATE)).toBeGreaterThan(990);
    expect(zeroCrossingHz(steady, RATE)).toBeLessThan(1010);
    expect(Math.abs(rmsDbfs(steady) + 12)).toBeLessThan(1);

    // A key press (SIP INFO) arrives as Twilio's dtmf.
    const info = await sip.sendRequest('INFO', { headers: ['Content-Type: application/dtmf-relay'], body: 'Signal=5\r\nDuration=160\r\n' });
    expect(info.status).toBe(200);
    await waitFor(() => call.events('dtmf').length === 1, 2_000, () => call.describe());
    expect(call.events('dtmf')[0]?.msg).toEqual({ event: 'dtmf', streamSid, sequenceNumber: expect.stringMatching(/^\d+$/) as unknown, dtmf: { track: 'inbound_track', digit: '5' } });

    // BYE: stop, with the start's account and call, is the last message; then the socket closes.
    caller = undefined;
    expect(await sip.bye()).toBe(200);
    sip.close();
    await waitFor(() => call.closedAtMs > 0, 3_000, () => call.describe());
    expect(call.received.at(-1)?.msg).toEqual({
      event: 'stop',
      sequenceNumber: expect.stringMatching(/^\d+$/) as unknown,
      streamSid,
      stop: { accountSid: (start?.['start'] as Record<string, unknown>)['accountSid'], callSid: (start?.['start'] as Record<string, unknown>)['callSid'] },
    });
  }, 20_000);

  it('the bot\'s clear (barge-in) silences the caller within 100 ms and brings the pending mark back; its reply plays', async () => {
    const { sip, call } = await place(BOT_CLEARS, { greeting: tone(GREETING_HZ, 5_000), reply: tone(REPLY_HZ, 1_000) });
    const sending = sip.sendAudio(concat([silence(1_500), tone(CALLER_HZ, 800), silence(2_500)]));
    await waitFor(() => call.sentAt('clear') !== undefined, 5_000, () => call.describe());
    await waitFor(() => call.marks('reply').length === 1, 6_000, () => call.describe());
    await sending;
    const clearAt = call.sentAt('clear') ?? 0;
    const onset = sip.sent[1_500 / PACKET_MS];
    if (onset === undefined) throw new Error('onset packet not sent');
    const log = call.describe();

    // The bot heard the caller and cleared; the greeting played without a gap up to there, and stopped.
    expect(clearAt).toBeGreaterThan(onset.sentMs);
    const greeting = sip.received.filter((p) => carries(p.pcm, GREETING_HZ));
    const last = greeting.at(-1);
    if (last === undefined) throw new Error('no greeting');
    expect(greeting.length, log).toBeGreaterThanOrEqual(70);
    expect(contiguous(greeting)).toBe(true);
    expect(last.arrivalMs - clearAt, log).toBeLessThanOrEqual(100);
    // The pending mark came back (Twilio echoes cleared marks), right after the clear, once.
    expect(call.marks('greeting'), log).toHaveLength(1);
    expect(markAt(call, 'greeting') - clearAt, log).toBeGreaterThan(0);
    expect(markAt(call, 'greeting') - clearAt, log).toBeLessThan(100);
    // The reply after the caller stopped: 1 s of 800 Hz, then its mark.
    const reply = sip.received.filter((p) => carries(p.pcm, REPLY_HZ));
    expect(reply.length, log).toBeGreaterThanOrEqual(48);
    expect(reply[0]?.arrivalMs ?? 0).toBeGreaterThan(call.speechEnds[0] ?? Infinity);
    expect(markAt(call, 'reply') - (reply.at(-1)?.arrivalMs ?? 0)).toBeGreaterThanOrEqual(-MARK_EARLY_MS);
    expect(sip.received.filter((p) => p.arrivalMs > last.arrivalMs && carries(p.pcm, GREETING_HZ))).toEqual([]);
  }, 20_000);

  it('gateway barge-in: the greeting stops, its mark comes back, the bot\'s stale stream is dropped, its reply plays', async () => {
    // The bot has no barge-in: it never clears. It sends 1.2 s of greeting at once and streams 0.8 s more in real
    // time after it, still streaming when the caller interrupts at 0.8 s, and answers 1 s after the caller stops.
    const { sip, call } = await place(GATEWAY_BARGE_IN, {
      greeting: tone(GREETING_HZ, 1_200),
      pacedGreeting: tone(GREETING_HZ, 800),
      reply: tone(REPLY_HZ, 1_000),
      clearOnSpeech: false,
      quietMs: 1_000,
    });
    const ONSET_MS = 800;
    const sending = sip.sendAudio(concat([silence(ONSET_MS), speech, silence(3_000)]));
    await waitFor(() => call.marks('reply').length === 1, 10_000, () => call.describe());
    await sending;
    const onset = sip.sent[ONSET_MS / PACKET_MS];
    if (onset === undefined) throw new Error('onset packet not sent');
    const log = call.describe();

    // The gateway cut the greeting within 120 ms of the caller's onset.
    const greeting = sip.received.filter((p) => carries(p.pcm, GREETING_HZ));
    const last = greeting.at(-1);
    if (last === undefined) throw new Error('no greeting');
    expect(last.arrivalMs - onset.sentMs, log).toBeGreaterThan(0);
    expect(last.arrivalMs - onset.sentMs, log).toBeLessThanOrEqual(120);
    // The greeting's mark came back at the interruption, long before its 1.2 s could have played.
    expect(markAt(call, 'greeting') - onset.sentMs, log).toBeLessThan(200);
    // The bot kept streaming the old turn well past the interruption (and past the gateway's 500 ms guard); the
    // link dropped all of it, and echoed the mark closing it at once.
    const endSent = call.sentAt('mark', 'greeting-end') ?? 0;
    expect(endSent - last.arrivalMs, log).toBeGreaterThan(600);
    expect(markAt(call, 'greeting-end') - endSent, log).toBeLessThan(50);
    // After the cut, the caller heard nothing but the reply: 1 s of 800 Hz, then its mark.
    const after = sip.received.filter((p) => p.arrivalMs > last.arrivalMs && audible(p));
    expect(after.length, log).toBeGreaterThanOrEqual(48);
    expect(after.filter((p) => !carries(p.pcm, REPLY_HZ)).length, log).toBeLessThanOrEqual(2); // fade-in/out edges
    expect(after.filter((p) => carries(p.pcm, GREETING_HZ)), log).toEqual([]);
    expect(markAt(call, 'reply') - (after.at(-1)?.arrivalMs ?? 0)).toBeGreaterThanOrEqual(-MARK_EARLY_MS);
  }, 30_000);

  it('works the same through agent: { adapter: websocket, url, protocol: twilio }', async () => {
    const { sip, call } = await place(ADAPTER_FORM, { greeting: tone(GREETING_HZ, 400) });
    await waitFor(() => call.marks('greeting').length === 1, 5_000, () => call.describe());
    expect(call.received.map((r) => r.msg['event']).slice(0, 2)).toEqual(['connected', 'start']);
    expect(call.received[1]?.msg).toMatchObject({ start: { customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } });
    expect(sip.received.filter((p) => carries(p.pcm, GREETING_HZ)).length).toBeGreaterThanOrEqual(18);
    caller = undefined;
    await sip.bye();
    sip.close();
    await waitFor(() => call.events('stop').length === 1 && call.closedAtMs > 0, 3_000, () => call.describe());
  }, 15_000);
});
