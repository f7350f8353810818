import type { GatewayMessage } from '@patchbay/agents';
import { describe, expect, it } from 'vitest';
import type { AgentLink } from '../agent/agent-link.js';
import { HopMetrics } from '../metrics/hop-metrics.js';
import { AgentControl, type AgentCommandTarget } from './agent-control.js';
import type { MediaTimelineEvent } from './timeline.js';

function harness(dropPerChunk = 0) {
  const calls: string[] = [];
  const sent: GatewayMessage[] = [];
  const closed: string[] = [];
  const media: AgentCommandTarget = {
    play: (pcm) => {
      calls.push(`play ${pcm.length}`);
      return dropPerChunk;
    },
    mark: (name) => calls.push(`mark ${name}`),
    clear: (turnId) => calls.push(`clear ${turnId ?? '-'}`),
    sendDtmf: (digits, ms) => calls.push(`dtmf ${digits} ${ms}`),
  };
  const link: AgentLink = {
    kind: 'in-process',
    sendAudio: () => undefined,
    send: (msg) => sent.push(msg),
    close: (reason) => closed.push(reason),
    stats: { uplinkDroppedFrames: 0, badMessages: 0 },
    queuedFrames: 0,
  };
  const hops = new HopMetrics();
  const timeline: MediaTimelineEvent[] = [];
  const control = new AgentControl(media, {
    hops,
    timeline: (e) => void timeline.push(e),
    events: {
      onHangupRequest: (reason) => calls.push(`hangup ${reason}`),
      onTransferRequest: (target) => calls.push(`transfer ${target}`),
      onWarmTransfer: (msg) => calls.push(`warm ${msg.type}`),
      onAgentGone: (reason) => calls.push(`gone ${reason}`),
      onRtpTimeout: () => calls.push('rtp-timeout'),
    },
  });
  control.attach(link);
  return { control, calls, sent, closed, hops, timeline };
}

describe('AgentControl', () => {
  it('runs each agent command where it belongs: playout on the media, hangup and transfer up to the SIP side', () => {
    const { control, calls, hops } = harness();
    control.onMessage({ type: 'mark', name: 'm1' });
    control.onMessage({ type: 'clear', turnId: 't1' });
    control.onMessage({ type: 'clear' });
    control.onMessage({ type: 'dtmf', digits: '12#' });
    control.onMessage({ type: 'transfer', target: '+15557654321' });
    control.onMessage({ type: 'hangup' });
    control.onMessage({ type: 'stage', stage: 'llm', ms: 420 });
    expect(calls).toEqual(['mark m1', 'clear t1', 'clear -', 'dtmf 12# 100', 'transfer +15557654321', 'hangup agent_hangup']);
    expect(hops.llmMs.count).toBe(1);
  });

  it("puts the agent's transcript lines and stage reports, and every error it is sent, on the call's timeline", () => {
    const { control, timeline, sent } = harness();
    control.onMessage({ type: 'transcript', role: 'caller', text: 'book me in for Tuesday', final: true });
    control.onMessage({ type: 'stage', stage: 'stt', ms: 180 });
    control.onMessage({ type: 'mark', name: 'not-on-the-timeline-here' });
    control.send({ type: 'error', code: 'dtmf_unsupported', message: 'no telephone-event' });
    control.send({ type: 'speech_started', atMs: 1 });
    expect(timeline.map(({ atMs: _at, ...rest }) => rest)).toEqual([
      { type: 'transcript', role: 'caller', text: 'book me in for Tuesday', final: true },
      { type: 'stage', stage: 'stt', ms: 180 },
      { type: 'agent-error', code: 'dtmf_unsupported' },
    ]);
    expect(timeline.every((e) => Math.abs(e.atMs - Date.now()) < 5_000)).toBe(true);
    expect(sent.map((m) => m.type)).toEqual(['error', 'speech_started']);
  });

  it('reports dropped agent audio at most once a second, with what was dropped since the last report', () => {
    const { control, sent } = harness(240);
    for (let i = 0; i < 5; i++) control.onAudio(new Int16Array(480));
    expect(sent).toEqual([{ type: 'error', code: 'playout_overflow', message: 'playout buffer full; newest agent audio dropped', droppedMs: 10 }]);
    expect(control.overflowSamples).toBe(5 * 240);
  });

  it("closes the link once, and the agent's own close after ours is not reported as the agent going away", () => {
    const { control, calls, closed } = harness();
    control.close('transferred');
    control.close('transferred');
    control.onClose('agent_closed');
    expect(closed).toEqual(['transferred']);
    expect(calls).toEqual([]);
  });

  it('reports the agent going away while the call is up', () => {
    const { control, calls } = harness();
    control.onClose('agent_closed');
    expect(calls).toEqual(['gone agent_closed']);
  });
});
