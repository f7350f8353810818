import type { Agent, AgentContext, AgentMessage, GatewayMessage, StartMessage } from '@patchbay/agents';
import { AUDIO_FORMAT } from '@patchbay/agents';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AgentSink } from './agent-link.js';
import { InProcessLink } from './in-process-link.js';

const START: StartMessage = { type: 'start', version: 1, callId: 'c1', streamId: 's1', from: '', to: '', direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT };

/** An agent whose context the test drives, recording what the gateway tells it. */
function harness(): { link: InProcessLink; ctx: () => AgentContext; told: GatewayMessage[]; delivered: AgentMessage[] } {
  let context: AgentContext | undefined;
  const told: GatewayMessage[] = [];
  const delivered: AgentMessage[] = [];
  const agent: Agent = {
    name: 'test',
    create(ctx) {
      context = ctx;
      return { onAudio: () => undefined, onMessage: (m) => told.push(m), close: () => undefined };
    },
  };
  const sink: AgentSink = { onAudio: () => undefined, onMessage: (m) => delivered.push(m), onClose: () => undefined };
  const link = new InProcessLink(agent, START, sink, pino({ level: 'silent' }));
  return {
    link,
    ctx: () => {
      if (!context) throw new Error('agent not created');
      return context;
    },
    told,
    delivered,
  };
}

describe('InProcessLink', () => {
  it('passes well-formed control to the call', () => {
    const h = harness();
    h.ctx().send({ type: 'stage', stage: 'llm', ms: 123 });
    h.ctx().send({ type: 'transfer', target: '+15557654321' });
    expect(h.delivered).toEqual([
      { type: 'stage', stage: 'llm', ms: 123 },
      { type: 'transfer', target: '+15557654321' },
    ]);
    expect(h.link.stats.badMessages).toBe(0);
  });

  it("checks an in-process agent's control against the protocol schema: bad ones are counted and answered bad_message", async () => {
    const h = harness();
    const bad = [
      { type: 'stage', stage: 'thinking', ms: 5 },
      { type: 'stage', stage: 'llm', ms: -1 },
      { type: 'transfer', target: 'sip:desk@pbx\r\nX-Injected: 1' },
      { type: 'launch' },
    ];
    for (const msg of bad) h.ctx().send(msg as unknown as AgentMessage);
    expect(h.delivered).toEqual([]);
    expect(h.told).toEqual([]); // not re-entered inside send()
    await Promise.resolve();
    expect(h.link.stats.badMessages).toBe(bad.length);
    expect(h.told.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(bad.map(() => 'bad_message'));
    // The call goes on: a good message after the bad ones still arrives.
    h.ctx().send({ type: 'mark', name: 'after' });
    expect(h.delivered).toEqual([{ type: 'mark', name: 'after' }]);
  });
});
