/**
 * Lets an agent connect before the call's media exists (we dial the agent before answering, so an unreachable one
 * can still be refused; with a late offer the codec is known only at the ACK). What the agent sends meanwhile is
 * held, bounded, and handed over in order when the media attaches.
 */
import type { AgentMessage } from '@patchbay/agents';
import type { AgentSink } from './agent-link.js';

type Held = { kind: 'audio'; pcm: Int16Array } | { kind: 'message'; msg: AgentMessage } | { kind: 'close'; reason: string };

export class DeferredSink implements AgentSink {
  private target: AgentSink | undefined;
  private held: Held[] = [];
  private heldSamples = 0;
  /** Samples refused while waiting (beyond `maxSamples`). */
  droppedSamples = 0;

  constructor(private readonly maxSamples: number) {}

  attach(target: AgentSink): void {
    this.target = target;
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (h.kind === 'audio') target.onAudio(h.pcm);
      else if (h.kind === 'message') target.onMessage(h.msg);
      else target.onClose(h.reason);
    }
  }

  onAudio(pcm: Int16Array): void {
    if (this.target) return this.target.onAudio(pcm);
    if (this.heldSamples + pcm.length > this.maxSamples) {
      this.droppedSamples += pcm.length;
      return;
    }
    this.heldSamples += pcm.length;
    this.held.push({ kind: 'audio', pcm });
  }

  onMessage(msg: AgentMessage): void {
    if (this.target) this.target.onMessage(msg);
    else this.held.push({ kind: 'message', msg });
  }

  onClose(reason: string): void {
    if (this.target) this.target.onClose(reason);
    else this.held.push({ kind: 'close', reason });
  }
}
