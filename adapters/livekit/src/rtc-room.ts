/**
 * RoomLike over @livekit/rtc-node: the only file that touches a live Room. It publishes the caller's track from an
 * AudioSource(24000, 1), opens subscribed audio tracks as AudioStreams at 24 kHz mono in 20 ms frames, and turns the
 * room's events into RoomHandlers calls. Everything it creates is released by `disconnect()`, including when that
 * runs while `connect()` or `publishAudio()` is still in flight.
 */
import {
  AudioSource,
  AudioStream,
  DisconnectReason,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import type { AdapterLogger } from '@patchbay/adapter-kit';
import { LiveKitAdapterError, LiveKitErrorCode } from './errors.js';
import { CHANNELS, SAMPLE_RATE, toAudioFrame } from './frames.js';
import { ReadableAudioStream } from './readable-audio-stream.js';
import type { AudioSink, RemoteAudioStream, RoomHandlers, RoomLike } from './room-like.js';

/**
 * The AudioSource's native queue. Caller audio arrives in real time, so this only absorbs arrival bursts; it is
 * small because whatever sits in it is latency the agent hears. Beyond it, the session's CaptureQueue drops.
 */
export const SOURCE_QUEUE_MS = 100;
/** Frames read from the agent's track. */
export const STREAM_FRAME_MS = 20;
/** Name of the caller's published track. */
export const CALLER_TRACK_NAME = 'caller';
/** Data topic of the DTMF fallback, for an rtc-node without `publishDtmf` (JSON `{"digit","code"}`). */
export const DTMF_DATA_TOPIC = 'patchbay.dtmf';

export interface RtcRoomOptions {
  logger: AdapterLogger;
  /** Added to every log line (the call's id). */
  logFields: Readonly<Record<string, unknown>>;
}

export function createRtcRoom(handlers: RoomHandlers, options: RtcRoomOptions): RoomLike {
  return new RtcRoom(handlers, options);
}

class RtcRoom implements RoomLike {
  private readonly room = new Room();
  private readonly streams = new Set<RemoteAudioStream>();
  private track: LocalAudioTrack | undefined;
  private source: AudioSource | undefined;
  private closed = false;
  private released: Promise<void> | undefined;

  constructor(
    handlers: RoomHandlers,
    private readonly options: RtcRoomOptions,
  ) {
    const room = this.room;
    room.on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
      if (track.kind !== TrackKind.KIND_AUDIO || this.closed) return;
      handlers.audioTrack({
        participantIdentity: participant.identity,
        trackSid: publication.sid ?? '',
        open: () => this.openStream(new AudioStream(track, { sampleRate: SAMPLE_RATE, numChannels: CHANNELS, frameSizeMs: STREAM_FRAME_MS })),
      });
    });
    room.on(RoomEvent.ParticipantDisconnected, (participant) => handlers.participantLeft(participant.identity));
    room.on(RoomEvent.DtmfReceived, (_code, digit, participant) => handlers.dtmf(digit, participant.identity));
    room.on(RoomEvent.Disconnected, (reason) => handlers.disconnected(DisconnectReason[reason] ?? String(reason)));
  }

  async connect(url: string, token: string): Promise<void> {
    if (this.closed) throw new LiveKitAdapterError(LiveKitErrorCode.ConnectFailed, 'room already closed');
    try {
      await this.room.connect(url, token, { autoSubscribe: true, dynacast: false });
    } catch (err) {
      throw new LiveKitAdapterError(LiveKitErrorCode.ConnectFailed, `cannot join the LiveKit room: ${errorText(err)}`, { cause: err });
    }
    // disconnect() ran while we were joining: it found nothing to leave, so leave now.
    if (this.closed) await this.room.disconnect();
  }

  async publishAudio(): Promise<AudioSink> {
    const participant = this.room.localParticipant;
    if (this.closed || !participant) throw new LiveKitAdapterError(LiveKitErrorCode.PublishFailed, 'not connected to the room');
    const source = new AudioSource(SAMPLE_RATE, CHANNELS, SOURCE_QUEUE_MS);
    const track = LocalAudioTrack.createAudioTrack(CALLER_TRACK_NAME, source);
    // Kept before the await, so a disconnect() during publishing releases them.
    this.source = source;
    this.track = track;
    try {
      await participant.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
    } catch (err) {
      throw new LiveKitAdapterError(LiveKitErrorCode.PublishFailed, `cannot publish the caller's track: ${errorText(err)}`, { cause: err });
    }
    return { capture: (pcm) => source.captureFrame(toAudioFrame(pcm)) };
  }

  async publishDtmf(code: number, digit: string): Promise<void> {
    const participant = this.room.localParticipant;
    if (this.closed || !participant) return;
    // rtc-node has sent SIP DTMF since 0.x; the data message is for builds without it.
    if (typeof participant.publishDtmf === 'function') {
      await participant.publishDtmf(code, digit);
      return;
    }
    const payload = new TextEncoder().encode(JSON.stringify({ digit, code }));
    await participant.publishData(payload, { reliable: true, topic: DTMF_DATA_TOPIC });
  }

  disconnect(): Promise<void> {
    this.released ??= this.release();
    return this.released;
  }

  private openStream(stream: AudioStream): RemoteAudioStream {
    const opened = new ReadableAudioStream(stream, (err) =>
      this.options.logger.warn({ ...this.options.logFields, err: errorText(err) }, 'livekit: closing an audio stream failed'),
    );
    if (this.closed) {
      opened.close();
      return opened;
    }
    this.streams.add(opened);
    return opened;
  }

  private async release(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams) stream.close();
    this.streams.clear();
    const problems: unknown[] = [];
    try {
      await this.room.disconnect();
    } catch (err) {
      problems.push(err);
    }
    try {
      // Closes the track's native handle and its AudioSource (whose pending captures then fail).
      if (this.track) await this.track.close(true);
      else if (this.source) await this.source.close();
    } catch (err) {
      problems.push(err);
    }
    this.track = undefined;
    this.source = undefined;
    if (problems.length > 0) throw new AggregateError(problems, `leaving the LiveKit room: ${problems.map(errorText).join('; ')}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
