/**
 * Barge-in end to end on loopback, with synthetic calls whose timing is known to the packet: a scripted SIP caller
 * (`SipCaller`, PCMU, RTP paced on an absolute 20 ms schedule) and an agent served over the real protocol
 * (`serveAgent`). The agent talks (espeak-ng speech mixed with a −40 dBFS 440 Hz tone, so no 20 ms of it is silent:
 * "agent audio on RTP" = non-silent packets); the caller sends silence or noise, then speech whose onset starts
 * exactly on a packet. Everything runs in one process on one `performance.now()` clock, so "when the caller sent its
 * onset packet" and "when the last agent packet arrived" are directly comparable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveAgent, type AgentContext, type AgentServer, type GatewayMessage } from '@patchbay/agents';
import { frameLevelsDbfs, onsetSpeech, rmsDbfs, speechWav } from '../helpers/audio.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { prng } from '../helpers/prng.js';
import { SipCaller, type ReceivedRtp } from '../helpers/sip-caller.js';
import { sine } from '../helpers/tones.js';

const CONFIRM_NUMBER = '+15550100005';
const GATEWAY_NUMBER = '+15550100003';
const AGENT_NUMBER = '+15550100004';
const FRAME_MS = 20;
const CALLER_RATE = 8_000;
const AGENT_RATE = 24_000;
/** A gateway packet quieter than this is silence (the agent's audio never is: its tone alone is −40 dBFS). */
const SILENT_DBFS = -55;
const AGENT_SENT_MS = 5_000;
/** Reaction bound: caller's onset packet sent → last agent packet received. */
const MAX_REACTION_MS = 120;
const ATMS_TOLERANCE_MS = 80;

type Kind = GatewayMessage['type'];
type Msg<K extends Kind> = Extract<GatewayMessage, { type: K }>;
interface Heard {
  readonly atMs: number;
  readonly msg: GatewayMessage;
}
type HeardOf<K extends Kind> = Heard & { readonly msg: Msg<K> };

function isKind<K extends Kind>(heard: Heard, kind: K): heard is HeardOf<K> {
  return heard.msg.type === kind;
}

/** One call as the agent sees it: everything the gateway sent, with arrival times, and a hook for the script. */
interface AgentCall {
  readonly ctx: AgentContext;
  readonly events: Heard[];
  onMessage: (msg: GatewayMessage) => void;
}

/** An agent served over the protocol whose behaviour each test scripts (`script` runs at `start`). */
class ScriptedAgent {
  readonly calls: AgentCall[] = [];
  script: (call: AgentCall) => void = () => undefined;
  private server: AgentServer | undefined;

  get url(): string {
    if (this.server === undefined) throw new Error('agent not started');
    return this.server.url;
  }

  async start(): Promise<void> {
    this.server = await serveAgent(
      {
        name: 'barge-in-script',
        create: (ctx) => {
          const call: AgentCall = { ctx, events: [], onMessage: () => undefined };
          this.calls.push(call);
          this.script(call);
          return {
            onAudio: () => undefined,
            onMessage: (msg) => {
              call.events.push({ atMs: performance.now(), msg });
              call.onMessage(msg);
            },
            close: () => undefined,
          };
        },
      },
      { port: 0 },
    );
  }

  async call(index: number, timeoutMs: number): Promise<AgentCall> {
    await waitFor(() => this.calls.length > index, timeoutMs, () => `agent has ${this.calls.length} calls`);
    const call = this.calls[index];
    if (call === undefined) throw new Error(`no call ${index}`);
    return call;
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }
}

function describeEvents(call: AgentCall): string {
  const t0 = call.events[0]?.atMs ?? 0;
  return call.events.map((e) => `+${(e.atMs - t0).toFixed(0)} ${JSON.stringify(e.msg)}`).join('\n');
}

async function nextEvent<K extends Kind>(
  call: AgentCall,
  kind: K,
  timeoutMs: number,
  match: (msg: Msg<K>) => boolean = () => true,
): Promise<HeardOf<K>> {
  const find = (): HeardOf<K> | undefined => call.events.filter((e) => isKind(e, kind)).find((e) => match(e.msg));
  await waitFor(() => find() !== undefined, timeoutMs, () => `no ${kind} event; agent got:\n${describeEvents(call)}`);
  const found = find();
  if (found === undefined) throw new Error(`no ${kind} event`);
  return found;
}

const isAgentAudio = (p: ReceivedRtp): boolean => p.payloadType === 0 && rmsDbfs(p.pcm) > SILENT_DBFS;

/** Silent packets received since the last non-silent one (0 while the agent is audible). */
function trailingSilence(received: readonly ReceivedRtp[]): number {
  const last = received.findLastIndex(isAgentAudio);
  return received.length - 1 - last;
}

// ---- signals ---------------------------------------------------------------------------------------------------

function mix(a: Int16Array, b: Int16Array, at = 0): Int16Array {
  const out = a.slice();
  for (let i = 0; i < b.length && at + i < out.length; i++) {
    out[at + i] = Math.max(-32_768, Math.min(32_767, (out[at + i] ?? 0) + (b[i] ?? 0)));
  }
  return out;
}

/** Seeded Gaussian white noise at `levelDbfs` RMS. */
function whiteNoise(seed: number, levelDbfs: number, ms: number): Int16Array {
  const random = prng(seed);
  const sigma = 32_768 * 10 ** (levelDbfs / 20);
  const out = new Int16Array((CALLER_RATE * ms) / 1000);
  for (let i = 0; i < out.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    out[i] = Math.round(sigma * g);
  }
  return out;
}

/** `bed` (or silence) of `totalMs`, with `speech` starting at exactly `onsetMs` (a packet boundary). */
function callerStream(speech: Int16Array, onsetMs: number, tailMs: number, bed?: Int16Array): Int16Array {
  const onset = (CALLER_RATE * onsetMs) / 1000;
  const length = onset + speech.length + (CALLER_RATE * tailMs) / 1000;
  const base = bed === undefined ? new Int16Array(length) : bed.slice(0, length);
  if (base.length < length) throw new Error('noise bed too short');
  return mix(base, speech, onset);
}

interface Fixtures {
  /** 5 s of agent speech + −40 dBFS tone, 24 kHz. */
  readonly agent: Int16Array;
  /** Caller speech at about −20 and −30 dBFS, 8 kHz, starting at its onset. */
  readonly speech20: Int16Array;
  readonly speech30: Int16Array;
  /** What the agent says after the barge-in, and audio "in flight" from the interrupted turn: 1 kHz tones. */
  readonly answer: Int16Array;
  readonly stale: Int16Array;
}

// ---- the suite -------------------------------------------------------------------------------------------------

interface Figure {
  readonly test: string;
  /** Where the caller's speech starts in its stream (ms after its first packet). */
  readonly onsetMs: number;
  /** Caller's onset packet sent (a–c), or the agent's `clear` sent (d) → last agent packet received. */
  readonly stopMs: number;
  readonly speechStartedAtMs: number;
  /** Where the caller's speech ended in its stream (packet-exact), and the gateway's `speech_stopped.atMs`. */
  readonly speechEndMs?: number;
  readonly speechStoppedAtMs?: number;
  /** b: what the caller had received when the agent truncated (the check allows one frame in flight). */
  readonly truncateHeardMs?: number;
  readonly playedMs: number;
  readonly rtpMs: number;
  readonly droppedMs: number;
}
const figures: Figure[] = [];

describe('barge-in, end to end', () => {
  let fx: Fixtures;
  let dir = '';
  const agent = new ScriptedAgent();
  let gw: TestGateway | undefined;
  let caller: SipCaller | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-barge-in-'));
    const talk = await speechWav(
      join(dir, 'agent.wav'),
      'Thank you for calling Patchbay. Your order number is four five six, and it will arrive on Tuesday between nine and noon.',
      { sampleRate: AGENT_RATE, leadMs: 0, tailMs: 0, peakDbfs: -6 },
    );
    const five = new Int16Array((AGENT_RATE * AGENT_SENT_MS) / 1000);
    if (talk.samples.length < five.length) throw new Error('agent speech shorter than 5 s');
    five.set(talk.samples.subarray(0, five.length));
    const agentAudio = mix(five, sine(AGENT_RATE, 440, -40, AGENT_SENT_MS));
    const quietest = Math.min(...frameLevelsDbfs(agentAudio, AGENT_RATE, FRAME_MS));
    if (quietest < -42) throw new Error(`agent audio has a near-silent frame (${quietest.toFixed(1)} dBFS)`);
    const words = await speechWav(join(dir, 'caller.wav'), 'Oh wait, one question please.', { leadMs: 0, tailMs: 0 });
    fx = {
      agent: agentAudio,
      speech20: onsetSpeech(words.samples, CALLER_RATE, -20),
      speech30: onsetSpeech(words.samples, CALLER_RATE, -30),
      answer: sine(AGENT_RATE, 1_000, -12, 1_000),
      stale: sine(AGENT_RATE, 1_000, -12, 200),
    };
    await agent.start();
    gw = await startTestGateway({
      numbers: {
        [GATEWAY_NUMBER]: { agent: agent.url },
        [AGENT_NUMBER]: { agent: agent.url, bargeIn: 'agent' },
        [CONFIRM_NUMBER]: { agent: agent.url, speech: { confirm: 'silero' } },
      },
    });
  });

  afterEach(async () => {
    const live = caller;
    caller = undefined;
    await live?.hangUp();
    agent.script = () => undefined;
    await gw?.waitForIdle(5_000);
  });

  afterAll(async () => {
    await gw?.close();
    await agent.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    if (figures.length > 0) console.table(figures);
  });

  /** Place a call and return both ends; the agent's `script` runs at `start`. */
  async function place(number: string, script: (call: AgentCall) => void): Promise<{ sip: SipCaller; call: AgentCall }> {
    if (gw === undefined) throw new Error('gateway did not start');
    agent.script = script;
    const index = agent.calls.length;
    const sip = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: number });
    caller = sip;
    return { sip, call: await agent.call(index, 5_000) };
  }

  const talk = (call: AgentCall): void => {
    call.ctx.sendAudio(fx.agent.slice());
    call.ctx.send({ type: 'mark', name: 'reply' });
  };

  /**
   * The caller speaks over the agent at `onsetMs`; waits for `interrupted`, then for 5 silent packets in a row (the
   * stale audio the agent sends on `interrupted` must not play). Returns the old turn's packets and the figures.
   */
  async function interruptedCall(onsetMs: number, onInterrupted: (msg: Msg<'interrupted'>, sip: SipCaller) => void, number = GATEWAY_NUMBER) {
    const { sip, call } = await place(number, (c) => {
      talk(c);
      c.onMessage = (msg) => {
        if (msg.type !== 'interrupted') return;
        c.ctx.sendAudio(fx.stale.slice()); // still in flight from the interrupted turn: the gateway drops it
        if (caller !== undefined) onInterrupted(msg, caller);
      };
    });
    const sending = sip.sendAudio(callerStream(fx.speech20, onsetMs, 500));
    const interrupted = await nextEvent(call, 'interrupted', onsetMs + 3_000);
    await waitFor(() => trailingSilence(sip.received) >= 5, 2_000, () => `agent audio still playing`);
    const gapMs = performance.now();
    const onset = sip.sent[onsetMs / FRAME_MS];
    if (onset === undefined) throw new Error('onset packet not sent');
    const old = sip.received.filter((p) => p.arrivalMs < gapMs && isAgentAudio(p));
    const last = old.at(-1);
    const started = await nextEvent(call, 'speech_started', 1_000);
    return { sip, call, sending, interrupted, gapMs, onset, old, last, started };
  }

  it.each([1, 2, 3])(
    'a. call %i: speech at 2.000 s stops the agent within 120 ms; mark cleared, interrupted{playedMs} = RTP, then a new turn plays',
    async (run) => {
      const { sip, call, sending, interrupted, gapMs, onset, old, last, started } = await interruptedCall(2_000, () => undefined);
      // The new turn: clear (with a turn id) and new audio, sent together; it must play.
      call.ctx.send({ type: 'clear', turnId: `after-${run}` });
      call.ctx.sendAudio(fx.answer.slice());
      call.ctx.send({ type: 'mark', name: 'answer' });
      const answered = await nextEvent(call, 'mark', 3_000, (m) => m.name === 'answer');
      const fresh = (): ReceivedRtp[] => sip.received.filter((p) => p.arrivalMs >= gapMs && isAgentAudio(p));
      await waitFor(() => fresh().length >= 50, 1_000, () => `${fresh().length} new-turn packets`);
      await sending;
      const stopped = await nextEvent(call, 'speech_stopped', 1_000);

      if (last === undefined) throw new Error('the caller heard no agent audio');
      const reactionMs = last.arrivalMs - onset.sentMs;
      const { playedMs, droppedMs, marks } = interrupted.msg;
      const speechEndMs = 2_000 + (fx.speech20.length / CALLER_RATE) * 1_000;
      figures.push({ test: `a${run}`, onsetMs: 2_000, stopMs: round(reactionMs), speechStartedAtMs: started.msg.atMs, speechEndMs, speechStoppedAtMs: stopped.msg.atMs, playedMs, rtpMs: old.length * FRAME_MS, droppedMs });
      const log = describeEvents(call);

      // The agent was audible up to the onset, and stopped within the bound after it.
      expect(reactionMs, log).toBeGreaterThan(0);
      expect(reactionMs, log).toBeLessThanOrEqual(MAX_REACTION_MS);
      expect(isContiguous(old), 'the old turn played without a gap').toBe(true);
      // Marks: `reply` came back cleared (never played), before `interrupted`, which names it.
      const replies = call.events.filter((e) => isKind(e, 'mark') && e.msg.name === 'reply');
      expect(replies.map((e) => e.msg), log).toEqual([{ type: 'mark', name: 'reply', status: 'cleared', playedMs }]);
      expect(replies.every((e) => call.events.indexOf(e) < call.events.indexOf(interrupted)), log).toBe(true);
      expect(marks).toEqual(['reply']);
      // playedMs is what left on RTP, to the packet; played + dropped is what was sent.
      expect(Math.abs(playedMs - old.length * FRAME_MS), log).toBeLessThanOrEqual(FRAME_MS);
      expect(Math.abs(playedMs + droppedMs - AGENT_SENT_MS), log).toBeLessThanOrEqual(FRAME_MS);
      expect(Math.abs(started.msg.atMs - 2_000), log).toBeLessThanOrEqual(ATMS_TOLERANCE_MS);
      // The new turn: cleared echoes the turn id; the 1 s answer plays in full, and the stale 200 ms never did.
      expect((await nextEvent(call, 'cleared', 1_000)).msg.turnId).toBe(`after-${run}`);
      expect(answered.msg).toMatchObject({ status: 'played', playedMs: 1_000 });
      const tones = fresh();
      expect(tones.length, 'new-turn packets (50, +1 resampler tail)').toBeGreaterThanOrEqual(50);
      expect(tones.length, 'new-turn packets: the stale audio must not play').toBeLessThanOrEqual(51);
      expect(call.events.filter((e) => e.msg.type === 'interrupted')).toHaveLength(1);
    },
    15_000,
  );

  it('e. with Silero confirming onsets (speech.confirm: silero), speech still stops the agent within 120 ms', async () => {
    const { sip, interrupted, onset, old, last, started } = await interruptedCall(2_000, () => undefined, CONFIRM_NUMBER);
    if (last === undefined) throw new Error('the caller heard no agent audio');
    const reactionMs = last.arrivalMs - onset.sentMs;
    figures.push({ test: 'e (silero)', onsetMs: 2_000, stopMs: round(reactionMs), speechStartedAtMs: started.msg.atMs, playedMs: interrupted.msg.playedMs, rtpMs: old.length * FRAME_MS, droppedMs: interrupted.msg.droppedMs });
    await sip.bye();
    caller = undefined;
    await gw?.waitForIdle(5_000);
    // The neural confirmer really ran and believed the onset.
    const stats = await gw?.gateway.stats();
    expect(stats?.bargeIn[CONFIRM_NUMBER]).toMatchObject({ interruptions: 1, confirmed: 1, rejected: 0 });
    // The gateway measured this number's reaction itself (onset packet in → last agent packet out), within the bound;
    // the shared hop histograms (all calls of this file) were recorded.
    const own = stats?.bargeIn[CONFIRM_NUMBER]?.reactionMs ?? [];
    expect(own.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...own)).toBeLessThanOrEqual(MAX_REACTION_MS);
    const hops = stats?.hops;
    expect(hops?.bargeInMs.count).toBeGreaterThanOrEqual(1);
    expect(hops?.uplinkMs.count).toBeGreaterThan(100);
    expect(hops?.downlinkMs.count).toBeGreaterThan(0);
    expect(hops?.setupMs.count).toBeGreaterThan(0);
    expect(reactionMs).toBeGreaterThan(0);
    expect(reactionMs).toBeLessThanOrEqual(MAX_REACTION_MS);
    expect(Math.abs(interrupted.msg.playedMs - old.length * FRAME_MS)).toBeLessThanOrEqual(FRAME_MS);
  }, 15_000);

  it('b. interrupted.itemPlayedMs passes unchanged as a Realtime truncate audio_end_ms', async () => {
    const ONSET_MS = 1_340;
    const item = { id: 'item_1', audioMs: AGENT_SENT_MS };
    const verdicts: { audioEndMs: number; heardMs: number; error?: string }[] = [];
    let truncated: { audioEndMs: number; heardMs: number } | undefined;
    const { sip, old, interrupted, sending, onset, last, started } = await interruptedCall(ONSET_MS, (msg, live) => {
      // What an OpenAI Realtime adapter does on `interrupted`: truncate the item to what the caller heard.
      const heardMs = live.received.filter(isAgentAudio).length * FRAME_MS;
      const attempt = (audioEndMs: number): void => {
        try {
          truncate(item.audioMs, audioEndMs, heardMs);
          verdicts.push({ audioEndMs, heardMs });
        } catch (err) {
          verdicts.push({ audioEndMs, heardMs, error: err instanceof Error ? err.message : String(err) });
        }
      };
      const audioEndMs = msg.itemPlayedMs ?? -1;
      attempt(audioEndMs);
      attempt(item.audioMs); // "what was queued": the classic mistake, must be refused
      attempt(item.audioMs + 1);
      truncated = { audioEndMs, heardMs };
    });
    await sending;
    if (truncated === undefined) throw new Error('truncate was never called');
    expect(verdicts[0], JSON.stringify(verdicts)).toEqual({ audioEndMs: interrupted.msg.playedMs, heardMs: truncated.heardMs });
    // One item in the turn, no mark reached: the item's position is the turn's.
    expect(interrupted.msg).toMatchObject({ itemPlayedMs: interrupted.msg.playedMs });
    expect(interrupted.msg.afterMark).toBeUndefined();
    expect(verdicts[1]?.error, 'truncating to the queued 5,000 ms must be refused').toMatch(/heard/);
    expect(verdicts[2]?.error, 'truncating past the item must be refused').toMatch(/longer than the item/);
    // And against the final count (any packet still in flight at `interrupted` has arrived now).
    expect(Math.abs(interrupted.msg.playedMs - old.length * FRAME_MS)).toBeLessThanOrEqual(FRAME_MS);
    expect(sip.hasEnded).toBe(false);
    if (last === undefined) throw new Error('the caller heard no agent audio');
    expect(last.arrivalMs - onset.sentMs).toBeLessThanOrEqual(MAX_REACTION_MS);
    figures.push({ test: 'b', onsetMs: ONSET_MS, stopMs: round(last.arrivalMs - onset.sentMs), speechStartedAtMs: started.msg.atMs, truncateHeardMs: truncated.heardMs, playedMs: interrupted.msg.playedMs, rtpMs: old.length * FRAME_MS, droppedMs: interrupted.msg.droppedMs });
  }, 15_000);

  it('c. −45 dBFS white noise for 3 s does not barge in; speech at −30 dBFS over it does', async () => {
    const ONSET_MS = 4_000;
    const { sip, call } = await place(GATEWAY_NUMBER, (c) => {
      c.ctx.sendAudio(fx.agent.slice(0, 3 * AGENT_RATE));
      c.ctx.send({ type: 'mark', name: 'through-noise' });
      c.ctx.sendAudio(fx.agent.slice());
      c.ctx.send({ type: 'mark', name: 'reply' });
    });
    const bed = whiteNoise(0x5eed, -45, ONSET_MS + 3_000);
    const sending = sip.sendAudio(callerStream(fx.speech30, ONSET_MS, 300, bed));
    const quiet = await nextEvent(call, 'mark', 5_000, (m) => m.name === 'through-noise');
    const interrupted = await nextEvent(call, 'interrupted', 6_000);
    await sending;
    const onset = sip.sent[ONSET_MS / FRAME_MS];
    if (onset === undefined) throw new Error('onset packet not sent');
    const log = describeEvents(call);

    // Noise only: all 3 s of the agent reached the caller, without a gap, and the gateway heard no speech.
    expect(quiet.msg, log).toMatchObject({ status: 'played', playedMs: 3_000 });
    const beforeOnset = sip.received.filter((p) => p.arrivalMs < onset.sentMs && isAgentAudio(p));
    expect(beforeOnset.length, 'agent packets before the speech').toBeGreaterThanOrEqual(150);
    expect(isContiguous(beforeOnset)).toBe(true);
    const early = call.events.filter((e) => e.atMs < onset.sentMs && (e.msg.type === 'speech_started' || e.msg.type === 'interrupted'));
    expect(early.map((e) => e.msg), log).toEqual([]);
    // Speech over the noise interrupts.
    const started = await nextEvent(call, 'speech_started', 1_000);
    expect(Math.abs(started.msg.atMs - ONSET_MS), log).toBeLessThanOrEqual(ATMS_TOLERANCE_MS);
    const heard = sip.received.filter(isAgentAudio);
    const last = heard.at(-1);
    if (last === undefined) throw new Error('no agent audio');
    expect(Math.abs(interrupted.msg.playedMs - heard.length * FRAME_MS), log).toBeLessThanOrEqual(FRAME_MS);
    expect(Math.abs(interrupted.msg.playedMs + interrupted.msg.droppedMs - 3_000 - AGENT_SENT_MS)).toBeLessThanOrEqual(FRAME_MS);
    // Two items in the turn: the cut one's own position counts from its mark, and is what left on RTP after it.
    expect(interrupted.msg.afterMark, log).toBe('through-noise');
    expect(interrupted.msg.itemPlayedMs, log).toBe(interrupted.msg.playedMs - 3_000);
    expect(Math.abs((interrupted.msg.itemPlayedMs ?? -1) - (heard.length - 150) * FRAME_MS), log).toBeLessThanOrEqual(FRAME_MS);
    figures.push({ test: 'c', onsetMs: ONSET_MS, stopMs: round(last.arrivalMs - onset.sentMs), speechStartedAtMs: started.msg.atMs, playedMs: interrupted.msg.playedMs, rtpMs: heard.length * FRAME_MS, droppedMs: interrupted.msg.droppedMs });
  }, 20_000);

  it('d. bargeIn: agent: speech_started arrives, the gateway keeps playing; the agent clears it itself', async () => {
    const ONSET_MS = 2_000;
    const { sip, call } = await place(AGENT_NUMBER, talk);
    const sending = sip.sendAudio(callerStream(fx.speech20, ONSET_MS, 500));
    const started = await nextEvent(call, 'speech_started', ONSET_MS + 3_000);
    // The gateway must not stop: 300 ms more agent audio arrives after the agent learns of the speech.
    const after = (): number => sip.received.filter((p) => p.arrivalMs > started.atMs && isAgentAudio(p)).length;
    await waitFor(() => after() >= 15, 1_000, () => `only ${after()} agent packets after speech_started`);
    const clearMs = performance.now();
    call.ctx.send({ type: 'clear', turnId: 'agent-cut' });
    const cleared = await nextEvent(call, 'cleared', 1_000);
    await waitFor(() => trailingSilence(sip.received) >= 5, 1_000, () => 'agent audio still playing after clear');
    await sending;
    const onset = sip.sent[ONSET_MS / FRAME_MS];
    if (onset === undefined) throw new Error('onset packet not sent');
    const heard = sip.received.filter(isAgentAudio);
    const last = heard.at(-1);
    if (last === undefined) throw new Error('no agent audio');
    const log = describeEvents(call);

    expect(call.events.filter((e) => e.msg.type === 'interrupted'), log).toEqual([]);
    expect(Math.abs(started.msg.atMs - ONSET_MS), log).toBeLessThanOrEqual(ATMS_TOLERANCE_MS);
    expect(isContiguous(heard), 'played without a gap until the clear').toBe(true);
    expect(last.arrivalMs - clearMs, 'silence from the next packet after clear').toBeLessThanOrEqual(2 * FRAME_MS);
    expect(cleared.msg.turnId).toBe('agent-cut');
    expect(Math.abs(cleared.msg.playedMs - heard.length * FRAME_MS), log).toBeLessThanOrEqual(FRAME_MS);
    expect(Math.abs(cleared.msg.playedMs + cleared.msg.droppedMs - AGENT_SENT_MS), log).toBeLessThanOrEqual(FRAME_MS);
    const reply = await nextEvent(call, 'mark', 500, (m) => m.name === 'reply');
    expect(reply.msg).toMatchObject({ status: 'cleared', playedMs: cleared.msg.playedMs });
    figures.push({ test: 'd', onsetMs: ONSET_MS, stopMs: round(last.arrivalMs - clearMs), speechStartedAtMs: started.msg.atMs, playedMs: cleared.msg.playedMs, rtpMs: heard.length * FRAME_MS, droppedMs: cleared.msg.droppedMs });
  }, 15_000);
});

/**
 * OpenAI Realtime's `conversation.item.truncate` rule, plus ours: `audio_end_ms` may not exceed the item's audio
 * (the API rejects it) nor what the caller received by more than one 20 ms frame (the model would "remember" words
 * the caller never heard).
 */
function truncate(itemDurationMs: number, audioEndMs: number, heardMs: number): void {
  if (!Number.isInteger(audioEndMs) || audioEndMs < 0) throw new Error(`audio_end_ms ${audioEndMs} is not a count of ms`);
  if (audioEndMs > itemDurationMs) throw new Error(`audio_end_ms ${audioEndMs} is longer than the item (${itemDurationMs} ms)`);
  if (audioEndMs > heardMs + FRAME_MS) throw new Error(`audio_end_ms ${audioEndMs} exceeds what the caller heard (${heardMs} ms)`);
}

/** Consecutive RTP sequence numbers: the packets form one unbroken run. */
function isContiguous(packets: readonly ReceivedRtp[]): boolean {
  return packets.every((p, i) => i === 0 || p.sequence === (((packets[i - 1]?.sequence ?? 0) + 1) & 0xffff));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
