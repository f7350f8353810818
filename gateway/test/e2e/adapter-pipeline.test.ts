/**
 * The `pipeline` adapter end to end through the real gateway: a scripted SIP caller (PCMU, RTP paced in real time)
 * calls a number whose agent is `{ adapter: pipeline }`, running in-process with its real SDKs pointed at fake Deepgram
 * and OpenAI servers on loopback (`@patchbay/adapter-pipeline/testing`). The caller speaks with espeak-ng speech (the
 * gateway's speech detector must believe it for barge-in); the fake Deepgram finds the utterances by energy and
 * answers with scripted transcripts; the fake TTS speaks 60 ms of a −12 dBFS tone per character, so what the caller
 * hears on RTP maps to text exactly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeDeepgram, FakeOpenAi, type ChatScript } from '@patchbay/adapter-pipeline/testing';
import { rmsDbfs, speechWav } from '../helpers/audio.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller, type ReceivedRtp } from '../helpers/sip-caller.js';

const NUMBER = '+15550101001';
const GREETING = 'Hello, thanks for calling the test line.';
const MS_PER_CHAR = 60;
const FRAME_MS = 20;
/** Agent audio is a −12 dBFS tone: a packet quieter than this is silence. */
const SILENT_DBFS = -55;
/** Packets of slack when comparing heard audio with text length (resampler tail, the faded packet). */
const SLACK_PACKETS = 2;

const isAgentAudio = (p: ReceivedRtp): boolean => p.payloadType === 0 && rmsDbfs(p.pcm) > SILENT_DBFS;
const agentMs = (packets: readonly ReceivedRtp[], sinceMs = 0): number => packets.filter((p) => p.arrivalMs >= sinceMs && isAgentAudio(p)).length * FRAME_MS;

/** Silent packets received since the last audible one. */
function trailingSilence(received: readonly ReceivedRtp[]): number {
  return received.length - 1 - received.findLastIndex(isAgentAudio);
}

/** The caller's microphone: one continuous RTP stream, silence unless speech is queued. */
class Mic {
  private readonly queue: Int16Array[] = [];
  private stopped = false;
  readonly done: Promise<void>;
  /** `performance.now()` when the last queued speech started going out. */
  lastSpeechMs = 0;

  constructor(private readonly sip: SipCaller) {
    this.done = this.pump();
  }

  say(pcm8k: Int16Array): void {
    this.queue.push(pcm8k);
  }

  stop(): void {
    this.stopped = true;
  }

  private async pump(): Promise<void> {
    while (!this.stopped && !this.sip.hasEnded) {
      const speech = this.queue.shift();
      if (speech !== undefined) this.lastSpeechMs = performance.now();
      await this.sip.sendAudio(speech ?? new Int16Array(800)); // else 100 ms of silence
    }
  }
}

describe('adapter: pipeline, end to end through the gateway', () => {
  let dir = '';
  let deepgram: FakeDeepgram;
  let openai: FakeOpenAi;
  let gw: TestGateway | undefined;
  let call: { sip: SipCaller; mic: Mic } | undefined;
  /** This call's scripts: transcripts by utterance, model answers by request (both counted from the call's start). */
  let transcripts: string[] = [];
  let answers: (index: number) => ChatScript = () => ({ text: 'Okay.' });
  let chatBase = 0;
  const speech = new Map<string, Int16Array>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-pipeline-e2e-'));
    for (const text of ['What are your opening hours?', 'What about Sundays?', 'That is all, goodbye.']) {
      const wav = await speechWav(join(dir, `${speech.size}.wav`), text, { leadMs: 0, tailMs: 0 });
      speech.set(text, wav.samples);
    }
    deepgram = await FakeDeepgram.start({ transcripts: (i) => transcripts[i] });
    openai = await FakeOpenAi.start({ chat: (_req, i) => answers(i - chatBase) });
    gw = await startTestGateway(
      {
        numbers: {
          [NUMBER]: {
            agent: {
              adapter: 'pipeline',
              instructions: 'You are the test line.',
              greeting: GREETING,
              stt: { baseUrl: deepgram.wsUrl },
              llm: { baseUrl: openai.url },
              tts: { provider: 'openai', baseUrl: openai.url },
            },
          },
        },
      },
      { env: { DEEPGRAM_API_KEY: deepgram.apiKey, OPENAI_API_KEY: openai.apiKey } },
    );
  });

  afterEach(async () => {
    const live = call;
    call = undefined;
    if (live !== undefined) {
      live.mic.stop();
      await live.sip.hangUp();
      await live.mic.done;
    }
    await gw?.waitForIdle(5_000);
  });

  afterAll(async () => {
    await gw?.close();
    await deepgram?.close();
    await openai?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  /** Places a call with these scripts and waits until the greeting has played (and stopped). */
  async function greeted(script: { transcripts?: string[]; answers?: (index: number) => ChatScript } = {}): Promise<{ sip: SipCaller; mic: Mic }> {
    if (gw === undefined) throw new Error('gateway did not start');
    transcripts = script.transcripts ?? [];
    answers = script.answers ?? (() => ({ text: 'Okay.' }));
    deepgram.utterances = 0;
    chatBase = openai.chatRequests.length;
    const sip = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER });
    const mic = new Mic(sip);
    call = { sip, mic };
    const greetingMs = GREETING.length * MS_PER_CHAR;
    await waitFor(() => agentMs(sip.received) >= greetingMs - SLACK_PACKETS * FRAME_MS && trailingSilence(sip.received) >= 10, greetingMs + 5_000, () => `heard ${agentMs(sip.received)} ms`);
    return call;
  }

  function say(mic: Mic, text: string): void {
    const pcm = speech.get(text);
    if (pcm === undefined) throw new Error(`no speech for ${text}`);
    mic.say(pcm);
  }

  it('the caller hears the greeting on RTP: its whole fake speech, at 60 ms per character', async () => {
    const { sip } = await greeted();
    expect(Math.abs(agentMs(sip.received) - GREETING.length * MS_PER_CHAR)).toBeLessThanOrEqual(SLACK_PACKETS * FRAME_MS);
    expect(openai.speechRequests.at(-1)?.body).toMatchObject({ input: GREETING, voice: 'alloy', response_format: 'pcm' });
    expect(deepgram.listens.at(-1)?.query.get('sample_rate')).toBe('24000');
  }, 20_000);

  it('a caller turn is answered: transcript → model (with the greeting in its history) → speech on RTP', async () => {
    const ANSWER = 'We are open from nine to five.';
    const { sip, mic } = await greeted({ transcripts: ['What are your opening hours?'], answers: () => ({ text: ANSWER }) });
    say(mic, 'What are your opening hours?');
    await waitFor(() => openai.chatRequests.length > chatBase, 10_000, () => 'no model request');
    const asked = performance.now();
    expect(openai.messagesOf(chatBase)).toEqual([
      { role: 'system', content: 'You are the test line.' },
      { role: 'assistant', content: GREETING },
      { role: 'user', content: 'What are your opening hours?' },
    ]);
    const answerMs = ANSWER.length * MS_PER_CHAR;
    await waitFor(() => agentMs(sip.received, asked) >= answerMs - SLACK_PACKETS * FRAME_MS && trailingSilence(sip.received) >= 10, answerMs + 5_000, () => `heard ${agentMs(sip.received, asked)} ms`);
    expect(Math.abs(agentMs(sip.received, asked) - answerMs)).toBeLessThanOrEqual(SLACK_PACKETS * FRAME_MS);
  }, 25_000);

  it('the caller interrupts the answer: the gateway stops it, and the next model request holds only the words heard, cut with a dash', async () => {
    const ANSWER = 'Our opening hours are nine to five on weekdays. On Saturdays we open at ten and close at two. On Sundays and public holidays we are closed.';
    const { sip, mic } = await greeted({
      transcripts: ['What are your opening hours?', 'What about Sundays?'],
      answers: (i) => (i === 0 ? { text: ANSWER } : { text: 'Closed on Sundays.' }),
    });
    say(mic, 'What are your opening hours?');
    await waitFor(() => openai.chatRequests.length > chatBase, 10_000, () => 'no model request');
    const asked = performance.now();
    await waitFor(() => agentMs(sip.received, asked) >= 1_500, 5_000, () => `heard ${agentMs(sip.received, asked)} ms of the answer`);
    say(mic, 'What about Sundays?');
    await waitFor(() => openai.chatRequests.length > chatBase + 1, 10_000, () => 'no second model request');
    const heardMs = agentMs(sip.received, asked);

    const messages = openai.messagesOf(chatBase + 1);
    expect(messages.map((m) => m.role)).toEqual(['system', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[4]).toEqual({ role: 'user', content: 'What about Sundays?' });
    const kept = String(messages[3]?.content);
    expect(kept.endsWith('—'), kept).toBe(true);
    const words = kept.slice(0, -1);
    console.log(`[pipeline e2e] heard ${heardMs} ms of the answer; kept: "${kept}"`);
    // A prefix of the answer at a word boundary, as long as the audio the caller heard (60 ms per character), less
    // at most the word that was cut.
    expect(ANSWER.startsWith(words) && ANSWER[words.length] === ' ', `${words} | ${ANSWER}`).toBe(true);
    expect(heardMs).toBeLessThan(ANSWER.length * MS_PER_CHAR - 2_000);
    const heardChars = heardMs / MS_PER_CHAR;
    expect(words.length, `heard ${heardMs} ms`).toBeLessThanOrEqual(heardChars + 1);
    expect(words.length, `heard ${heardMs} ms`).toBeGreaterThanOrEqual(heardChars - 10 - (SLACK_PACKETS * FRAME_MS) / MS_PER_CHAR);
  }, 30_000);

  it('the model calls end_call: the goodbye plays in full, then the gateway sends BYE', async () => {
    const GOODBYE = 'Goodbye, have a nice day!';
    const { sip, mic } = await greeted({
      transcripts: ['That is all, goodbye.'],
      answers: () => ({ text: GOODBYE, toolCalls: [{ name: 'end_call', arguments: { reason: 'caller said goodbye' } }] }),
    });
    say(mic, 'That is all, goodbye.');
    await waitFor(() => openai.chatRequests.length > chatBase, 10_000, () => 'no model request');
    const asked = performance.now();
    let byeMs = 0;
    void sip.byeReceived.then(() => {
      byeMs = performance.now();
    });
    await waitFor(() => byeMs > 0, 10_000, () => `no BYE; heard ${agentMs(sip.received, asked)} ms of the goodbye`);
    const goodbye = sip.received.filter((p) => p.arrivalMs >= asked && isAgentAudio(p));
    expect(Math.abs(goodbye.length * FRAME_MS - GOODBYE.length * MS_PER_CHAR)).toBeLessThanOrEqual(SLACK_PACKETS * FRAME_MS);
    expect(goodbye.at(-1)?.arrivalMs ?? Infinity).toBeLessThan(byeMs);
    await gw?.waitForIdle(5_000);
  }, 25_000);
});
