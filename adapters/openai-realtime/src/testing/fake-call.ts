/**
 * One call as an in-process agent sees it, driven by a test exactly the way the gateway's `InProcessLink` drives it:
 * `ctx.sendAudio` / `ctx.send` are recorded, caller frames and gateway messages go to the session (a throw ends the
 * call, as in the gateway), and `close()` sends `stop`, aborts `ctx.signal`, then closes the session.
 */
import type { Agent, AgentContext, AgentMessage, AgentSession, GatewayMessage, StartMessage, StopReasonValue } from '@patchbay/agents';
import { AUDIO_FORMAT } from '@patchbay/agents';

export interface SentMessage {
  readonly atMs: number;
  readonly msg: AgentMessage;
}

let calls = 0;

export class FakeCall {
  /** Audio the agent sent, in order. */
  readonly audio: Int16Array[] = [];
  readonly messages: SentMessage[] = [];
  /** A throw out of the session (the gateway would have ended the call). */
  readonly faults: unknown[] = [];
  readonly start: StartMessage;
  private readonly abort = new AbortController();
  private readonly session: AgentSession;
  private closed = false;

  constructor(agent: Agent, start: Partial<StartMessage> = {}) {
    this.start = {
      type: 'start',
      version: 1,
      callId: `call-${++calls}`,
      streamId: `stream-${calls}`,
      from: '+15550100001',
      to: '+15550100002',
      direction: 'inbound',
      parameters: {},
      audio: AUDIO_FORMAT,
      ...start,
    };
    const ctx: AgentContext = {
      start: this.start,
      sendAudio: (pcm) => {
        if (!this.closed) this.audio.push(pcm);
      },
      send: (msg) => {
        if (!this.closed) this.messages.push({ atMs: performance.now(), msg });
      },
      signal: this.abort.signal,
    };
    this.session = agent.create(ctx);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One caller frame (20 ms, 480 samples). */
  sendAudio(frame: Int16Array): void {
    this.guard(() => this.session.onAudio(frame));
  }

  /** A gateway message. */
  send(msg: GatewayMessage): void {
    this.guard(() => this.session.onMessage(msg));
  }

  /** All agent audio so far, concatenated. */
  receivedAudio(): Int16Array {
    const out = new Int16Array(this.audio.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of this.audio) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  }

  /** Agent audio so far, ms. */
  get receivedMs(): number {
    return Math.floor(this.audio.reduce((n, a) => n + a.length, 0) / 24);
  }

  messagesOf<T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.messages.map((m) => m.msg).filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
  }

  /** Ends the call as the gateway does: `stop`, abort, `close()`. Idempotent. */
  close(reason: StopReasonValue = 'caller_hangup'): void {
    if (this.closed) return;
    this.guard(() => this.session.onMessage({ type: 'stop', reason }));
    this.closed = true;
    this.abort.abort();
    try {
      this.session.close();
    } catch (err) {
      this.faults.push(err);
    }
  }

  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.faults.push(err);
      this.closed = true;
      this.abort.abort();
    }
  }
}

/** Polls `condition` every 5 ms until it holds; rejects after `timeoutMs` with `describe()` in the message. */
export async function until(condition: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
