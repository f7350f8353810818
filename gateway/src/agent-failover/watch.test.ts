import type { AgentMessage, GatewayMessage } from '@patchbay/agents';
import { describe, expect, it } from 'vitest';
import type { AgentLink, AgentSink } from '../agent/agent-link.js';
import { AgentWatch, ResumeTranscript, type AgentFailureCause } from './watch.js';

function harness(policy = { earlyHangupMs: 2_000, silenceMs: 15_000 }, watched = true) {
  let now = 1_000;
  const failures: AgentFailureCause[] = [];
  const passed: string[] = [];
  const transcript = new ResumeTranscript();
  const watch = new AgentWatch(policy, transcript, (c) => (failures.push(c), watched), () => now);
  const inner: AgentSink = {
    onAudio: () => passed.push('audio'),
    onMessage: (m: AgentMessage) => passed.push(m.type),
    onClose: (r: string) => passed.push(`close:${r}`),
  };
  const sent: GatewayMessage[] = [];
  const link: AgentLink = { kind: 'websocket', sendAudio: () => {}, send: (m) => sent.push(m), close: () => {}, stats: { uplinkDroppedFrames: 0, badMessages: 0 }, queuedFrames: 0 };
  return { watch, sink: watch.sink(inner), link: watch.link(link), failures, passed, transcript, sent, advance: (ms: number) => (now += ms) };
}

describe('AgentWatch', () => {
  it('a failure nobody recovers any more (the call is no longer watched: a consulting agent) passes through as it came', () => {
    const h = harness(undefined, false);
    h.advance(60);
    h.sink.onMessage({ type: 'hangup', reason: 'agent_error' });
    h.sink.onClose('agent_dropped');
    expect(h.failures).toEqual(['agent-error', 'agent-dropped']);
    expect(h.passed).toEqual(['hangup', 'close:agent_dropped']);
    expect(h.watch.failed).toBeUndefined();
  });

  it('an agent that hangs up at once without speaking failed (early-hangup); the hang-up is swallowed', () => {
    const h = harness();
    h.advance(60);
    h.sink.onMessage({ type: 'hangup' });
    expect(h.failures).toEqual(['early-hangup']);
    expect(h.passed).toEqual([]);
    h.sink.onClose('agent_closed'); // what follows a failure is the failed agent's, and ignored
    expect(h.failures).toHaveLength(1);
    expect(h.passed).toEqual([]);
  });

  it('a hang-up after speaking, or after earlyHangupS, is the agent\'s choice and passes', () => {
    const spoke = harness();
    spoke.sink.onAudio(new Int16Array(480));
    spoke.sink.onMessage({ type: 'hangup' });
    expect(spoke.failures).toEqual([]);
    expect(spoke.passed).toEqual(['audio', 'hangup']);
    const late = harness();
    late.advance(2_000);
    late.sink.onMessage({ type: 'hangup', reason: 'done' });
    expect(late.failures).toEqual([]);
  });

  it('a hang-up saying agent_error fails the agent whenever it comes', () => {
    const h = harness();
    h.sink.onAudio(new Int16Array(480));
    h.advance(60_000);
    h.sink.onMessage({ type: 'hangup', reason: 'agent_error' });
    expect(h.failures).toEqual(['agent-error']);
  });

  it('tells a dropped socket from a clean close; an in-process agent that threw failed', () => {
    const dropped = harness();
    dropped.advance(5_000);
    dropped.sink.onClose('agent_dropped');
    expect(dropped.failures).toEqual(['agent-dropped']);
    const clean = harness();
    clean.advance(5_000);
    clean.sink.onClose('agent_closed');
    expect(clean.failures).toEqual([]);
    expect(clean.passed).toEqual(['close:agent_closed']);
    const threw = harness();
    threw.sink.onClose('agent_error');
    expect(threw.failures).toEqual(['agent-error']);
  });

  it('silence: only once the caller stopped speaking, counted from the agent\'s last audio or message', () => {
    const h = harness();
    h.advance(60_000);
    h.watch.check();
    expect(h.failures).toEqual([]); // nobody is waiting
    h.link.send({ type: 'speech_stopped', atMs: 1 });
    h.advance(10_000);
    h.sink.onMessage({ type: 'stage', stage: 'llm', ms: 900 }); // a message is a sign of life
    h.advance(14_999);
    h.watch.check();
    expect(h.failures).toEqual([]);
    h.advance(1);
    h.watch.check();
    expect(h.failures).toEqual(['agent-silent']);
  });

  it('silence ends with the agent\'s audio: a caller who was answered is not waiting', () => {
    const h = harness();
    h.link.send({ type: 'speech_stopped', atMs: 1 });
    h.sink.onAudio(new Int16Array(480));
    h.advance(60_000);
    h.watch.check();
    expect(h.failures).toEqual([]);
  });

  it('keeps the final transcript lines for a resume, bounded in lines and characters', () => {
    const h = harness();
    h.sink.onMessage({ type: 'transcript', role: 'caller', text: 'partial', final: false });
    for (let i = 0; i < 60; i++) h.sink.onMessage({ type: 'transcript', role: i % 2 ? 'agent' : 'caller', text: `line ${i}`, final: true });
    h.sink.onMessage({ type: 'transcript', role: 'agent', text: 'x'.repeat(5_000), final: true });
    const all = h.transcript.all;
    expect(all).toHaveLength(50);
    expect(all[0]).toEqual({ role: 'agent', text: 'line 11' });
    expect(all.at(-1)?.text).toHaveLength(1_000);
  });

  it('with both detectors off, only a dropped socket or an error fails the agent', () => {
    const h = harness({ earlyHangupMs: 0, silenceMs: 0 });
    h.sink.onMessage({ type: 'hangup' });
    h.link.send({ type: 'speech_stopped', atMs: 1 });
    h.advance(600_000);
    h.watch.check();
    expect(h.failures).toEqual([]);
    expect(h.passed).toEqual(['hangup']);
  });
});
