/** Runs a built-in agent inside the gateway, through the same messages an external agent gets. */
import type { Agent, AgentContext, AgentMessage, AgentSession, GatewayMessage, StartMessage } from '@patchbay/agents';
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
        if (!this.closed) sink.onMessage(msg);
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

  close(reason: string): void {
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
