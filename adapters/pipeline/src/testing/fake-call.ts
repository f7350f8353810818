/**
 * One call of an in-process agent without a gateway, as `gateway/src/agent/in-process-link.ts` runs it, with the
 * gateway's playout accounting simulated exactly enough for the protocol: audio since the last `clear` is the turn;
 * the test says how much of it has played (`play(ms)`, or `autoPlay` for instant playout); marks come back `played`
 * when the playout reaches them; `clear` answers `cleared{playedMs, droppedMs, turnId}` with pending marks `cleared`;
 * `interrupt()` is the gateway's own barge-in (`interrupted{playedMs}`, then audio dropped until `clear`).
 * Gateway messages are delivered on a later turn of the event loop, as from a socket.
 */
import type { Agent, AgentContext, AgentMessage, AgentSession, GatewayMessage, StartMessage, StopReasonValue } from '@patchbay/agents';
import { AUDIO_FORMAT, FRAME_SAMPLES } from '@patchbay/agents';
import { tone } from './tone.js';

export interface Timed<T> {
  readonly atMs: number;
  readonly value: T;
}

export class FakeCall {
  /** Everything the agent sent, in order. */
  readonly sent: Array<Timed<AgentMessage>> = [];
  readonly audio: Array<Timed<Int16Array>> = [];
  /** Everything delivered to the agent. */
  readonly delivered: Array<Timed<GatewayMessage>> = [];
  readonly session: AgentSession;
  autoPlay: boolean;
  private turnSamples = 0;
  private playedSamples = 0;
  private marks: Array<{ name: string; at: number }> = [];
  private dropping = false;
  private ended = false;
  private readonly abort = new AbortController();

  constructor(agent: Agent, options: { autoPlay?: boolean; callId?: string; resume?: StartMessage['resume'] } = {}) {
    this.autoPlay = options.autoPlay ?? false;
    const start: StartMessage = {
      type: 'start', version: 1, callId: options.callId ?? 'call-test', streamId: 'stream-test', from: '+15550100001', to: '+15550100002',
      direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT, ...(options.resume === undefined ? {} : { resume: options.resume }),
    };
    const ctx: AgentContext = {
      start,
      sendAudio: (pcm) => this.onAudio(pcm),
      send: (msg) => this.onCommand(msg),
      signal: this.abort.signal,
    };
    this.session = agent.create(ctx);
  }

  /** The agent's messages of one type, in order. */
  sentOf<K extends AgentMessage['type']>(type: K): Array<Extract<AgentMessage, { type: K }>> {
    return this.sent.map((s) => s.value).filter((m): m is Extract<AgentMessage, { type: K }> => m.type === type);
  }

  /** Samples of agent audio received in total (dropped or not). */
  get audioSamples(): number {
    return this.audio.reduce((n, a) => n + a.value.length, 0);
  }

  /** Agent audio of the current turn (since its last `clear`) that has not played yet, in ms. */
  get unplayedMs(): number {
    return (this.turnSamples - this.playedSamples) / 24;
  }

  /** The playout advances `ms` (never past what was sent); marks reached come back `played`. */
  play(ms: number): void {
    this.playedSamples = Math.min(this.turnSamples, this.playedSamples + Math.round(ms * 24));
    this.answerMarks();
  }

  playAll(): void {
    this.play(Number.MAX_SAFE_INTEGER / 48);
  }

  /** The gateway's barge-in: pending marks `cleared`, `interrupted{playedMs}`, then the agent's audio dropped until `clear`. */
  interrupt(): void {
    const playedMs = Math.floor(this.playedSamples / 24);
    const droppedMs = Math.floor((this.turnSamples - this.playedSamples) / 24);
    const marks = this.marks.map((m) => m.name);
    this.marks = [];
    for (const name of marks) this.deliver({ type: 'mark', name, status: 'cleared', playedMs });
    this.deliver({ type: 'interrupted', playedMs, droppedMs, marks });
    this.dropping = true;
  }

  /** A gateway message, delivered on the next turn of the event loop. */
  deliver(msg: GatewayMessage): void {
    setImmediate(() => {
      if (this.ended && msg.type !== 'stop') return;
      this.delivered.push({ atMs: performance.now(), value: msg });
      this.session.onMessage(msg);
    });
  }

  /** The caller talks: `ms` of a loud tone in 20 ms frames (what the fake Deepgram hears as speech). */
  say(ms: number, dbfs = -20): void {
    this.frames(tone(ms, { hz: 220, dbfs }));
  }

  /** The caller is silent for `ms`. */
  silence(ms: number): void {
    this.frames(new Int16Array(Math.round(ms * 24)));
  }

  /** The call ends: pending marks cleared, `stop`, the signal aborts, then `close()` (as the gateway does it). */
  end(reason: StopReasonValue = 'caller_hangup'): void {
    if (this.ended) return;
    this.ended = true;
    this.delivered.push({ atMs: performance.now(), value: { type: 'stop', reason } });
    this.session.onMessage({ type: 'stop', reason });
    this.abort.abort();
    this.session.close();
  }

  private frames(samples: Int16Array): void {
    for (let at = 0; at + FRAME_SAMPLES <= samples.length; at += FRAME_SAMPLES) {
      if (this.ended) return;
      this.session.onAudio(samples.subarray(at, at + FRAME_SAMPLES));
    }
  }

  private onAudio(pcm: Int16Array): void {
    if (this.ended) return;
    this.audio.push({ atMs: performance.now(), value: pcm });
    if (this.dropping) return;
    this.turnSamples += pcm.length;
  }

  private onCommand(msg: AgentMessage): void {
    if (this.ended) return;
    this.sent.push({ atMs: performance.now(), value: msg });
    switch (msg.type) {
      case 'mark':
        this.marks.push({ name: msg.name, at: this.turnSamples });
        if (this.autoPlay) setImmediate(() => this.playAll());
        else this.answerMarks();
        return;
      case 'clear': {
        const playedMs = Math.floor(this.playedSamples / 24);
        const droppedMs = Math.floor((this.turnSamples - this.playedSamples) / 24);
        for (const m of this.marks) this.deliver({ type: 'mark', name: m.name, status: 'cleared', playedMs });
        this.marks = [];
        this.deliver(msg.turnId === undefined ? { type: 'cleared', playedMs, droppedMs } : { type: 'cleared', playedMs, droppedMs, turnId: msg.turnId });
        this.turnSamples = 0;
        this.playedSamples = 0;
        this.dropping = false;
        return;
      }
      default:
        return;
    }
  }

  private answerMarks(): void {
    const reached = this.marks.filter((m) => m.at <= this.playedSamples);
    if (reached.length === 0) return;
    this.marks = this.marks.filter((m) => m.at > this.playedSamples);
    const playedMs = Math.floor(this.playedSamples / 24);
    for (const m of reached) this.deliver({ type: 'mark', name: m.name, status: 'played', playedMs });
  }
}
