import type { AgentMessage } from '@patchbay/agents';
import { describe, expect, it } from 'vitest';
import type { AgentSink } from '../agent/agent-link.js';
import { BridgeJunction } from './junction.js';

function sink(): AgentSink & { audio: Int16Array[]; messages: AgentMessage[]; closed: string[] } {
  const audio: Int16Array[] = [];
  const messages: AgentMessage[] = [];
  const closed: string[] = [];
  return { audio, messages, closed, onAudio: (pcm) => audio.push(pcm), onMessage: (m) => messages.push(m), onClose: (r) => closed.push(r) };
}

const frame = (v: number): Int16Array => new Int16Array(480).fill(v);

describe('BridgeJunction', () => {
  it('relays each leg\'s caller frames to the other leg, as copies', () => {
    const j = new BridgeJunction();
    const a = sink();
    const b = sink();
    const la = j.link('a', a);
    const lb = j.link('b', b);
    la.sendAudio(frame(1)); // not joined yet: dropped
    expect(b.audio).toHaveLength(0);
    expect(j.join('a', 'b')).toBe(true);
    const reused = frame(7);
    la.sendAudio(reused);
    reused.fill(9); // the caller's buffer is reused for the next frame
    lb.sendAudio(frame(3));
    expect(b.audio.map((f) => f[0])).toEqual([7]);
    expect(a.audio.map((f) => f[0])).toEqual([3]);
    expect(b.audio[0]).toHaveLength(480);
  });

  it('relays DTMF as the other leg\'s dtmf command and nothing else of the protocol', () => {
    const j = new BridgeJunction();
    const a = sink();
    const b = sink();
    const la = j.link('a', a);
    j.link('b', b);
    j.join('a', 'b');
    la.send({ type: 'dtmf', digit: '5', durationMs: 160, source: 'rfc4733' });
    la.send({ type: 'dtmf', digit: '#', durationMs: 0, source: 'sip-info' });
    la.send({ type: 'interrupted', playedMs: 100, itemPlayedMs: 100 } as never);
    expect(b.messages).toEqual([{ type: 'dtmf', digits: '5', durationMs: 160 }, { type: 'dtmf', digits: '#', durationMs: 100 }]);
    expect(a.messages).toEqual([]);
  });

  it('a leg that closes is unpaired: the other leg\'s frames go nowhere, and no close is reported to it', () => {
    const j = new BridgeJunction();
    const a = sink();
    const b = sink();
    const la = j.link('a', a);
    const lb = j.link('b', b);
    j.join('a', 'b');
    lb.close('caller_hangup');
    la.sendAudio(frame(1));
    expect(b.audio).toHaveLength(0);
    expect(a.closed).toEqual([]); // ending the other leg is the call core's (forwarding/), not the junction's
    expect(j.size).toBe(1);
    expect(j.join('a', 'b')).toBe(false);
  });

  it('refuses to join a leg with itself or with a leg it does not have', () => {
    const j = new BridgeJunction();
    j.link('a', sink());
    expect(j.join('a', 'a')).toBe(false);
    expect(j.join('a', 'nobody')).toBe(false);
  });

  it('re-joining pairs anew: the earlier partner stops hearing', () => {
    const j = new BridgeJunction();
    const a = sink();
    const b = sink();
    const c = sink();
    const la = j.link('a', a);
    j.link('b', b);
    j.link('c', c);
    j.join('a', 'b');
    j.join('a', 'c');
    la.sendAudio(frame(4));
    expect(b.audio).toHaveLength(0);
    expect(c.audio.map((f) => f[0])).toEqual([4]);
  });
});
