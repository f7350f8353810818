/**
 * The little the call session needs of a LiveKit room, so the session is tested against a fake and the rtc-node
 * glue (`rtc-room.ts`) stays thin. Audio crosses this boundary as our own format: PCM16 mono 24 kHz Int16Array.
 */

/** Where the caller's audio goes: the published track's source. */
export interface AudioSink {
  /** Captures one frame the sink may keep until the promise settles; resolves once it is accepted. */
  capture(pcm: Int16Array): Promise<void>;
}

/** A remote participant's audio, open for reading. Ends when the track goes away or `close()` is called. */
export interface RemoteAudioStream extends AsyncIterable<Int16Array> {
  /** Stops reading and releases the stream; idempotent. */
  close(): void;
}

/** A remote participant's audio track we are subscribed to. Nothing is received until `open()`. */
export interface RemoteAudioTrack {
  readonly participantIdentity: string;
  readonly trackSid: string;
  open(): RemoteAudioStream;
}

/** What the room tells the session. Handlers must not throw. */
export interface RoomHandlers {
  /** A remote participant's audio track was subscribed (also those already published when we joined). */
  audioTrack(track: RemoteAudioTrack): void;
  participantLeft(identity: string): void;
  /** A remote participant sent a DTMF digit (a LiveKit agent dialling through the caller's line). */
  dtmf(digit: string, participantIdentity: string): void;
  /** The room is gone: by the server, by network failure, or after our own `disconnect()`. */
  disconnected(reason: string): void;
}

export interface RoomLike {
  connect(url: string, token: string): Promise<void>;
  /** Publishes the caller's microphone track (mono 24 kHz) and returns its sink. Only once connected. */
  publishAudio(): Promise<AudioSink>;
  /** Sends a SIP DTMF digit (RFC 4733 `code`) to the room. */
  publishDtmf(code: number, digit: string): Promise<void>;
  /** Leaves the room and releases the track, its source and every open stream. Idempotent; safe during connect. */
  disconnect(): Promise<void>;
}

export type RoomFactory = (handlers: RoomHandlers) => RoomLike;
