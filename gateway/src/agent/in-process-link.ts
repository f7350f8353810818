/** Runs a built-in agent inside the gateway, through the same messages an external agent gets. */
import { ProtocolError, validateAgentMessage, type Agent, type AgentContext, type AgentMessage, type AgentSession, type GatewayMessage, type StartMessage, type StopReasonValue } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { AgentLink, AgentLinkStats, AgentSink } from './agent-link.js';

export class InProcessLink implements AgentLink {
  readonly kind = 'in-process';
  readonly stats: AgentLinkStats = { uplinkDroppedFrames: 0, badMessages: 0 };
  /** Frames go straight to the agent's code. */
  readonly queuedFrames = 0;
  private readonly abort = new AbortController();
  private readonly session: AgentSession;
  private closed = false;

  constructor(agent: Agent, start: StartMessage, private readonly sink: AgentSink, private readonly logger: Logger) {
    const ctx: AgentContext = {
      start,
      sendAudio: (pcm) => {
        if (!this.closed) sink.onAudio(pcm);
      },
      send: (msg: AgentMessage) => {
        if (!this.closed) this.deliver(msg);
      },
      signal: this.abort.signal,
    };
    this.session = agent.create(ctx);
  }

  sendAudio(frame: Int16Array): void {
    this.guard(() => this.session.onAudio(frame));
  }

  send(msg: GatewayMessage): void {
    this.guard(() => this.session.onMessage(msg));
  }

  close(reason: StopReasonValue): void {
    if (this.closed) return;
    this.guard(() => this.session.onMessage({ type: 'stop', reason }));
    this.closed = true;
    this.abort.abort();
    try {
      this.session.close();
    } catch (err) {
      this.logger.warn({ err }, 'built-in agent failed to close');
    }
  }

  /**
   * Control from the agent, checked against the protocol's schema exactly as a WebSocket agent's is: a bad message
   * (an unknown stage, a malformed transfer target) is counted and answered `error{bad_message}`, and the call goes on.
   */
  private deliver(msg: AgentMessage): void {
    let valid: AgentMessage;
    try {
      valid = validateAgentMessage(msg);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.stats.badMessages++;
      this.logger.warn({ code: err.code, reason: err.message }, 'in-process agent sent a bad message');
      // Told on a later microtask, as a WebSocket agent would be: never re-entering the agent inside its own send().
      queueMicrotask(() => this.send({ type: 'error', code: 'bad_message', message: err.message }));
      return;
    }
    this.sink.onMessage(valid);
  }

  /** A throwing built-in ends its call, never the gateway. */
  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.logger.error({ err }, 'built-in agent threw; ending the call');
      this.closed = true;
      this.abort.abort();
      this.sink.onClose('agent_error');
    }
  }
}
