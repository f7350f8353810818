import type { InterruptedEvent } from '@patchbay/agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveKitHangupReason } from './errors.js';
import { LiveKitSession, type SessionConfig } from './session.js';
import { fakeContext, frameOf, recordingLogger } from './test-support/fake-context.js';
import { FakeRoom, settle } from './test-support/fake-room.js';

const FRAME = 480;

function config(over: Partial<SessionConfig> = {}): SessionConfig {
  return {
    url: 'wss://lk.test',
    token: async () => 'jwt-for-call-42',
    agentTimeoutMs: 0,
    gate: { silencePeak: 100, hangoverSamples: 3 * FRAME, holdMaxSamples: 10 * FRAME },
    captureQueueFrames: 5,
    ...over,
  };
}

function open(over: Partial<SessionConfig> = {}) {
  const ctx = fakeContext();
  const room = new FakeRoom();
  const logger = recordingLogger();
  const session = new LiveKitSession(ctx, config(over), room.factory, logger);
  session.start();
  return { ctx, room, logger, session };
}

const firstSamples = (frames: Int16Array[]) => frames.map((f) => f[0]);

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveKitSession: joining and the caller audio', () => {
  it('joins with the URL and the minted token, then publishes the caller track', async () => {
    const { room } = open();
    await settle();
    expect(room.connects).toEqual([{ url: 'wss://lk.test', token: 'jwt-for-call-42' }]);
    expect(room.publishCalls).toBe(0);
    room.connected.resolve();
    await settle();
    expect(room.publishCalls).toBe(1);
  });

  it('sends the caller audio to the published source in order, as copies that own their buffer', async () => {
    const { room, session } = open();
    await room.join();
    const shared = new Int16Array(3 * FRAME);
    for (let i = 0; i < 3; i++) {
      const view = shared.subarray(i * FRAME, (i + 1) * FRAME);
      view.fill(i + 1);
      session.onAudio(view);
    }
    shared.fill(-1); // the gateway reuses its buffer
    await settle();
    expect(firstSamples(room.captured)).toEqual([1, 2, 3]);
    for (const pcm of room.captured) {
      expect(pcm.length).toBe(FRAME);
      expect(pcm.byteOffset).toBe(0);
      expect(pcm.buffer.byteLength).toBe(pcm.byteLength);
    }
  });

  it('keeps caller audio while joining, bounded: the oldest frames are dropped and counted', async () => {
    const { room, session, logger } = open();
    for (let v = 1; v <= 8; v++) session.onAudio(frameOf(v));
    await room.join();
    expect(firstSamples(room.captured)).toEqual([4, 5, 6, 7, 8]);
    session.close();
    const summary = logger.lines.find((l) => l.msg === 'livekit: call bridged');
    expect(summary?.obj).toMatchObject({ callerFramesCaptured: 5, callerFramesDropped: 3 });
  });

  it('captures one frame at a time; behind a slow source the backlog stays bounded', async () => {
    const { room, session } = open();
    room.slowCapture = true;
    await room.join();
    for (let v = 1; v <= 9; v++) session.onAudio(frameOf(v));
    await settle();
    expect(firstSamples(room.captured)).toEqual([1]); // one capture in flight, frames 2-4 dropped, 5-9 wait
    while (room.pendingCaptures.length > 0) {
      room.pendingCaptures.shift()?.resolve();
      await settle();
    }
    expect(firstSamples(room.captured)).toEqual([1, 5, 6, 7, 8, 9]);
  });
});

describe('LiveKitSession: the agent audio', () => {
  it('sends the agent audio to the caller unchanged and in order', async () => {
    const { ctx, room } = open();
    await room.join();
    const { opened } = room.addTrack('agent-1');
    const stream = opened();
    expect(stream).toBeDefined();
    const frames = [frameOf(1000), frameOf(-2000), frameOf(3000, 240)];
    for (const f of frames) stream?.push(f);
    await settle();
    expect(ctx.audio).toEqual(frames);
    expect(ctx.audio[0]).toBe(frames[0]); // handed over, not copied again
  });

  it('plays the first participant that publishes audio, and nobody else', async () => {
    const { room } = open();
    await room.join();
    expect(room.addTrack('agent').opened()).toBeDefined();
    expect(room.addTrack('observer').opened()).toBeUndefined();
  });

  it('plays only agentIdentity when it is configured', async () => {
    const { room } = open({ agentIdentity: 'the-agent' });
    await room.join();
    expect(room.addTrack('observer').opened()).toBeUndefined();
    expect(room.addTrack('the-agent').opened()).toBeDefined();
  });

  it('sends no silence between turns, but keeps pauses inside a turn', async () => {
    const { ctx, room } = open();
    await room.join();
    const stream = room.addTrack('agent').opened();
    for (const v of [0, 0, 1000, 0, 0, 2000, 0, 0, 0, 0, 0]) stream?.push(frameOf(v));
    await settle();
    // leading silence dropped; the 2-frame pause kept; 3 frames of hangover, then nothing
    expect(firstSamples(ctx.audio)).toEqual([1000, 0, 0, 2000, 0, 0, 0]);
  });

  it('replaces the agent stream when the agent publishes a new track', async () => {
    const { ctx, room } = open();
    await room.join();
    const first = room.addTrack('agent', 'TR_1').opened();
    const second = room.addTrack('agent', 'TR_2').opened();
    expect(first?.closed).toBe(true);
    second?.push(frameOf(500));
    await settle();
    expect(firstSamples(ctx.audio)).toEqual([500]);
  });
});

describe('LiveKitSession: the call ending on the LiveKit side', () => {
  it('hangs up once when the agent participant leaves; other participants may come and go', async () => {
    const { ctx, room } = open();
    await room.join();
    room.addTrack('agent');
    room.handlers.participantLeft('observer');
    expect(ctx.messages).toEqual([]);
    room.handlers.participantLeft('agent');
    room.handlers.disconnected('ROOM_DELETED');
    expect(ctx.messages).toEqual([{ type: 'hangup', reason: LiveKitHangupReason.AgentLeft }]);
  });

  it('hangs up when the room disconnects us', async () => {
    const { ctx, room } = open();
    await room.join();
    room.handlers.disconnected('ROOM_DELETED');
    expect(ctx.messages).toEqual([{ type: 'hangup', reason: LiveKitHangupReason.RoomDisconnected }]);
  });

  it('hangs up when joining fails, and logs why', async () => {
    const { ctx, room, logger } = open();
    room.connected.reject(new Error('connection refused'));
    await settle();
    expect(ctx.messages).toEqual([{ type: 'hangup', reason: LiveKitHangupReason.ConnectFailed }]);
    expect(logger.lines.find((l) => l.level === 'error')?.obj).toMatchObject({ callId: 'call-42', err: 'connection refused' });
  });

  it('hangs up when no agent audio arrives within agentTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { ctx, room } = open({ agentTimeoutMs: 5000 });
    await room.join();
    vi.advanceTimersByTime(4999);
    expect(ctx.messages).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ctx.messages).toEqual([{ type: 'hangup', reason: LiveKitHangupReason.AgentTimeout }]);
  });

  it('does not time out once the agent is there', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { ctx, room } = open({ agentTimeoutMs: 5000 });
    await room.join();
    vi.advanceTimersByTime(1000);
    room.addTrack('agent');
    vi.advanceTimersByTime(60_000);
    expect(ctx.messages).toEqual([]);
  });
});

describe('LiveKitSession: DTMF', () => {
  it("sends the caller's digits to the room as SIP DTMF with their RFC 4733 code", async () => {
    const { room, session } = open();
    session.onMessage({ type: 'dtmf', digit: '1', durationMs: 100, source: 'rfc4733' }); // not joined yet: dropped
    await room.join();
    for (const digit of ['5', '#', '*', 'd']) session.onMessage({ type: 'dtmf', digit, durationMs: 100, source: 'rfc4733' });
    expect(room.dtmf).toEqual([
      { code: 5, digit: '5' },
      { code: 11, digit: '#' },
      { code: 10, digit: '*' },
      { code: 15, digit: 'd' },
    ]);
  });

  it("sends the agent's digits to the caller, and ignores other participants'", async () => {
    const { ctx, room } = open();
    await room.join();
    room.addTrack('agent');
    room.handlers.dtmf('7', 'observer');
    room.handlers.dtmf('7', 'agent');
    room.handlers.dtmf('x', 'agent');
    expect(ctx.messages).toEqual([{ type: 'dtmf', digits: '7' }]);
  });
});

describe('LiveKitSession: barge-in', () => {
  const interrupted: InterruptedEvent = { type: 'interrupted', playedMs: 640, droppedMs: 200, marks: [] };

  it('holds back the rest of the interrupted turn until the agent stops, then clears and plays its next turn', async () => {
    const { ctx, room, session } = open();
    await room.join();
    const stream = room.addTrack('agent').opened();
    stream?.push(frameOf(1000));
    await settle();
    session.onMessage(interrupted);
    expect(ctx.messages).toEqual([]); // the agent is still talking: no clear yet
    for (const v of [1001, 1002, 0, 0, 0, 2000]) stream?.push(frameOf(v));
    await settle();
    expect(ctx.sent).toEqual(['audio:1000', 'clear', 'audio:2000']);
  });

  it('clears at once when the agent was silent anyway', async () => {
    const { ctx, room, session } = open();
    await room.join();
    room.addTrack('agent').opened()?.push(frameOf(0));
    await settle();
    session.onMessage(interrupted);
    expect(ctx.sent).toEqual(['clear']);
  });

  it('plays an agent that does not yield again after interruptHoldMaxMs', async () => {
    const { ctx, room, session } = open({ gate: { silencePeak: 100, hangoverSamples: 3 * FRAME, holdMaxSamples: 4 * FRAME } });
    await room.join();
    const stream = room.addTrack('agent').opened();
    stream?.push(frameOf(1000));
    await settle();
    session.onMessage(interrupted);
    for (const v of [1, 2, 3, 4, 5].map((n) => 1000 + n)) stream?.push(frameOf(v));
    await settle();
    expect(ctx.sent).toEqual(['audio:1000', 'clear', 'audio:1004', 'audio:1005']);
  });

  it('owes the gateway a clear when the agent track ends during a hold', async () => {
    const { ctx, room, session } = open();
    await room.join();
    const stream = room.addTrack('agent').opened();
    stream?.push(frameOf(1000));
    await settle();
    session.onMessage(interrupted);
    stream?.end();
    await settle();
    expect(ctx.sent).toEqual(['audio:1000', 'clear']);
  });
});

describe('LiveKitSession: close', () => {
  it('is idempotent and releases the room, the agent stream and the caller queue', async () => {
    const { ctx, room, session, logger } = open();
    await room.join();
    const stream = room.addTrack('agent').opened();
    session.close();
    session.close();
    await session.whenReleased;
    expect(room.disconnects).toBe(1);
    expect(stream?.closed).toBe(true);
    session.onAudio(frameOf(9));
    stream?.push(frameOf(9));
    room.handlers.participantLeft('agent');
    room.handlers.disconnected('CLIENT_INITIATED');
    ctx.controller.abort();
    await settle();
    expect(room.captured).toEqual([]);
    expect(ctx.sent).toEqual([]);
    expect(logger.lines.filter((l) => l.msg === 'livekit: call bridged')).toHaveLength(1);
  });

  it("closes when the call's signal aborts", async () => {
    const { ctx, room } = open();
    await room.join();
    ctx.controller.abort();
    expect(room.disconnects).toBe(1);
  });

  it('never publishes the caller track when the call ends while joining', async () => {
    const { room, session, ctx } = open();
    await settle();
    session.close();
    room.connected.resolve();
    room.published.resolve();
    await settle();
    expect(room.publishCalls).toBe(0);
    expect(room.disconnects).toBe(1);
    expect(ctx.messages).toEqual([]);
  });

  it('logs a failed leave instead of throwing', async () => {
    const { room, session, logger } = open();
    await room.join();
    room.disconnect = async () => {
      throw new Error('ffi gone');
    };
    session.close();
    await session.whenReleased;
    expect(logger.lines.find((l) => l.msg === 'livekit: leaving the room failed')?.obj).toMatchObject({ err: 'ffi gone' });
  });
});
