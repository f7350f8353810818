/**
 * The adapter agents where the media runs: those built at start-up for `numbers:` (by pattern) and those added at
 * runtime (numbers API, reloaded YAML, routing webhooks' answers) by key. Removing a key affects only calls that
 * have not picked their agent yet: the media plane takes a call's agent when it opens the call.
 */
import type { Agent } from '@patchbay/agents';
import type { AdapterAgents } from './adapters.js';

export class AdapterSet implements AdapterAgents {
  private readonly added = new Map<string, Agent>();

  constructor(private readonly base: AdapterAgents) {}

  agentFor(key: string): Agent | undefined {
    return this.added.get(key) ?? this.base.agentFor(key);
  }

  add(key: string, agent: Agent): void {
    this.added.set(key, agent);
  }

  remove(key: string): void {
    this.added.delete(key);
  }

  get size(): number {
    return this.added.size;
  }
}
