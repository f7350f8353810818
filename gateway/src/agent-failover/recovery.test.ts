import { AUDIO_FORMAT, type GatewayMessage, type StartMessage } from '@patchbay/agents';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AgentConnectError, type AgentLink, type AgentSink } from '../agent/agent-link.js';
import type { DeferredSink } from '../agent/deferred-sink.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import { AgentFailover } from './recovery.js';
import { ResumeTranscript } from './watch.js';

const start: StartMessage = { type: 'start', version: 1, callId: 'c1', streamId: 's1', from: '+1', to: '+2', direction: 'inbound', parameters: { lang: 'en' }, audio: AUDIO_FORMAT };
const plan = { redial: 1, earlyHangupMs: 2_000, silenceMs: 15_000 };

interface FakeLink extends AgentLink {
  readonly sent: GatewayMessage[];
  closedWith: string | undefined;
}

function fakeLink(kind: AgentLink['kind'] = 'websocket'): FakeLink {
  const link: FakeLink = {
    kind,
    sent: [],
    closedWith: undefined,
    sendAudio: () => {},
    send: (m) => link.sent.push(m),
    close: (r) => void (link.closedWith ??= r),
    stats: { uplinkDroppedFrames: 0, badMessages: 0 },
    queuedFrames: 0,
  };
  return link;
}

/** A fake media plane: one call whose agent is swapped in place; a media sink records what reaches the caller. */
function setup(dial: (start: StartMessage, sink: AgentSink) => Promise<AgentLink>) {
  const timeline: MediaTimelineEvent[] = [];
  const failed: string[] = [];
  const starts: StartMessage[] = [];
  const heard: string[] = [];
  const media: AgentSink = { onAudio: (pcm) => heard.push(`audio:${pcm.length}`), onMessage: (m) => heard.push(m.type), onClose: (r) => heard.push(`close:${r}`) };
  const state = { agent: undefined as AgentLink | undefined, alive: true, playedMs: 840 };
  const failover = new AgentFailover({
    heldSamples: 24_000 * 60,
    dial: (_callId, s, sink) => {
      starts.push(s);
      return dial(s, sink);
    },
    swap: (_callId, link, sink: DeferredSink) => {
      if (!state.alive) return undefined;
      state.agent?.close('error');
      state.agent = link;
      sink.attach(media);
      return state.playedMs;
    },
    failed: (_callId, cause) => failed.push(cause),
    timeline: (_callId, e) => timeline.push(e),
    guard: (_callId, sink) => sink,
  });
  const first = fakeLink();
  const watched = failover.watch('c1', plan, start, pino({ level: 'silent' }), media, new ResumeTranscript());
  state.agent = watched.link(first);
  return { failover, first, agentSink: watched.sink, state, timeline, failed, starts, heard };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('AgentFailover', () => {
  it('a dropped agent: the stand-in speaks at once, the re-dial gets start.resume and takes over after the prompt', async () => {
    const second = fakeLink();
    const h = setup(async () => second);
    h.agentSink.onMessage({ type: 'transcript', role: 'caller', text: 'I need a plumber', final: true });
    h.agentSink.onAudio(new Int16Array(480));
    h.agentSink.onClose('agent_dropped');
    // The stand-in is on the line at once: the prompt's audio and its transcript reached the media.
    expect(h.failover.standingIn('c1')).toBe(true);
    expect(h.state.agent?.kind).toBe('in-process');
    expect(h.heard).toContain('transcript');
    expect(h.first.closedWith).toBe('error');
    expect(h.starts[0]?.resume).toEqual({ attempt: 1, cause: 'agent-dropped', transcript: [{ role: 'caller', text: 'I need a plumber' }], playedMs: 840 });
    expect(h.starts[0]?.streamId).not.toBe(start.streamId);
    expect(h.starts[0]?.parameters).toEqual({ lang: 'en' });
    // The prompt's mark comes back played: the re-dialled agent takes over.
    h.state.agent?.send({ type: 'mark', name: 'stand-in-prompt', status: 'played', playedMs: 1_460 });
    await until(() => h.state.agent?.kind === 'websocket');
    expect(h.failover.standingIn('c1')).toBe(false);
    expect(h.timeline.map((e) => e.type)).toEqual(['agent-failed', 'agent-redial']);
    expect(h.timeline[1]).toMatchObject({ attempt: 1, outcome: 'connected' });
    expect(h.failed).toEqual([]);
  });

  it('the re-dialled agent is watched too: when it fails and no re-dial is left, the chain moves on', async () => {
    const second = fakeLink();
    let secondSink: AgentSink | undefined;
    const h = setup(async (_s, sink) => {
      secondSink = sink;
      return second;
    });
    h.agentSink.onMessage({ type: 'hangup', reason: 'agent_error' });
    h.state.agent?.send({ type: 'mark', name: 'stand-in-prompt', status: 'played', playedMs: 1_460 });
    await until(() => h.state.agent?.kind === 'websocket');
    secondSink?.onClose('agent_dropped');
    expect(h.failed).toEqual(['agent-dropped']);
    expect(h.failover.standingIn('c1')).toBe(true);
    expect(h.state.agent?.kind).toBe('in-process'); // the stand-in again, until the call core acts
    expect(h.timeline.map((e) => [e.type, 'cause' in e ? e.cause : undefined])).toEqual([
      ['agent-failed', 'agent-error'],
      ['agent-redial', undefined],
      ['agent-failed', 'agent-dropped'],
    ]);
  });

  it('a re-dial that cannot connect: its code on the timeline, and the chain moves on', async () => {
    const h = setup(async () => {
      throw new AgentConnectError('AGENT_REFUSED', 'HTTP 503');
    });
    h.agentSink.onClose('agent_dropped');
    await until(() => h.failed.length > 0);
    expect(h.failed).toEqual(['agent-dropped']);
    expect(h.timeline[1]).toMatchObject({ type: 'agent-redial', attempt: 1, outcome: 'failed', code: 'AGENT_REFUSED' });
  });

  it('the call ends while the re-dial connects: the new link is closed, nothing is swapped in', async () => {
    const second = fakeLink();
    let connect!: () => void;
    const h = setup(() => new Promise((resolve) => (connect = () => resolve(second))));
    h.agentSink.onClose('agent_dropped');
    h.failover.forget('c1');
    h.state.alive = false;
    h.state.agent?.close('caller_hangup'); // the plane closes the call's agent, the stand-in: its prompt is over
    connect();
    await until(() => second.closedWith !== undefined);
    expect(second.closedWith).toBe('caller_hangup');
    expect(h.failed).toEqual([]);
  });
});
