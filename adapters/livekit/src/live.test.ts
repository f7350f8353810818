/**
 * Against a real LiveKit server, only when LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are set: a call joins
 * its room through the adapter and publishes a second of caller audio; a second participant plays the agent (hears
 * the caller, speaks a tone back, leaves), so the whole bridge is exercised both ways and the hang-up on leaving too.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as pace } from 'node:timers/promises';
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  type RemoteTrack,
} from '@livekit/rtc-node';
import type { AgentMessage } from '@patchbay/agents';
import { describe, expect, it } from 'vitest';
import { isSilent } from './agent-audio-gate.js';
import { adapter } from './index.js';
import type { LiveKitSession } from './session.js';
import { fakeContext, recordingLogger, START } from './test-support/fake-context.js';
import { createJoinToken } from './token.js';

const URL = process.env.LIVEKIT_URL;
const KEY = process.env.LIVEKIT_API_KEY;
const SECRET = process.env.LIVEKIT_API_SECRET;

/** 20 ms of a 440 Hz tone at 24 kHz, continuing from frame `index`. */
function tone(index: number): Int16Array {
  return Int16Array.from({ length: 480 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (index * 480 + i)) / 24000)));
}

/** Resolves once `track` has delivered `frames` non-silent 24 kHz frames. */
async function hear(track: RemoteTrack, frames: number): Promise<number> {
  let loud = 0;
  for await (const frame of new AudioStream(track, { sampleRate: 24000, numChannels: 1 })) {
    if (!isSilent(frame.data, 1000)) loud++;
    if (loud >= frames) break;
  }
  return loud;
}

describe.runIf(URL && KEY && SECRET)('livekit adapter against a real LiveKit server', () => {
  it('publishes a second of caller audio, plays the agent back, and hangs up when the agent leaves', async () => {
    const url = URL ?? '';
    const env = { LIVEKIT_URL: url, LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET };
    const callId = `live-${randomUUID()}`;
    const agentIdentity = 'patchbay-test-agent';
    const agent = adapter.create(adapter.options.parse({ urlEnv: 'LIVEKIT_URL', agentIdentity, agentTimeoutMs: 0 }), {
      env,
      logger: recordingLogger(),
    });

    // The agent: a second participant in the call's room, publishing before the call joins.
    const agentRoom = new Room();
    const callerHeard = new Promise<number>((resolve, reject) => {
      agentRoom.on(RoomEvent.TrackSubscribed, (track, _publication, participant) => {
        if (participant.identity === `sip-${callId}` && track.kind === TrackKind.KIND_AUDIO) hear(track, 25).then(resolve, reject);
      });
    });
    const token = await createJoinToken({
      apiKey: KEY ?? '',
      apiSecret: SECRET ?? '',
      room: `patchbay-${callId}`,
      identity: agentIdentity,
      name: 'test agent',
      kind: 'standard',
      metadata: '',
      attributes: {},
      ttlS: 600,
    });
    await agentRoom.connect(url, token);
    const agentSource = new AudioSource(24000, 1, 1000);
    const agentTrack = LocalAudioTrack.createAudioTrack('agent', agentSource);
    await agentRoom.localParticipant?.publishTrack(agentTrack, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
    const callerJoined = new Promise<void>((resolve) => {
      agentRoom.on(RoomEvent.TrackSubscribed, (_track, _publication, participant) => {
        if (participant.identity === `sip-${callId}`) resolve();
      });
    });

    const ctx = fakeContext({ ...START, callId });
    let forwardedLoud = 0;
    const agentHeard = new Promise<void>((resolve) => {
      const sendAudio = ctx.sendAudio.bind(ctx);
      ctx.sendAudio = (pcm) => {
        sendAudio(pcm);
        if (!isSilent(pcm, 1000) && ++forwardedLoud >= 25) resolve();
      };
    });
    const hungUp = new Promise<AgentMessage>((resolve) => {
      const send = ctx.send.bind(ctx);
      ctx.send = (msg) => {
        send(msg);
        if (msg.type === 'hangup') resolve(msg);
      };
    });
    const session = agent.create(ctx) as LiveKitSession;
    try {
      await callerJoined;
      // A second of caller audio in real time, as the gateway delivers it; the agent speaks meanwhile.
      const speaking = (async () => {
        for (let i = 0; i < 50; i++) await agentSource.captureFrame(new AudioFrame(tone(i), 24000, 1, 480));
      })();
      for (let i = 0; i < 50; i++) {
        session.onAudio(tone(i));
        await pace(20);
      }
      await speaking;
      expect(await callerHeard).toBeGreaterThanOrEqual(25);
      await agentHeard;
      expect(forwardedLoud).toBeGreaterThanOrEqual(25);

      await agentRoom.disconnect();
      expect(await hungUp).toEqual({ type: 'hangup', reason: 'livekit_agent_left' });
    } finally {
      session.close();
      await session.whenReleased;
      await agentRoom.disconnect();
      await agentTrack.close(true);
    }
  }, 30_000);
});
