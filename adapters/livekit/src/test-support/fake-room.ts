/**
 * A RoomLike the test drives by hand: connect and publish resolve when the test says so, captures are recorded
 * (and can be made slow), remote tracks are pushed with frames the test feeds.
 */
import type { AudioSink, RemoteAudioStream, RemoteAudioTrack, RoomFactory, RoomHandlers, RoomLike } from '../room-like.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A remote stream fed by the test; iteration waits for frames and ends on `end()` or `close()`. */
export class FakeRemoteStream implements RemoteAudioStream {
  private readonly frames: Int16Array[] = [];
  private waiting: Deferred<void> | undefined;
  private ended = false;
  closed = false;

  push(pcm: Int16Array): void {
    this.frames.push(pcm);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Int16Array> {
    for (;;) {
      const next = this.frames.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      this.waiting = deferred();
      await this.waiting.promise;
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve();
  }
}

export class FakeRoom implements RoomLike {
  handlers!: RoomHandlers;
  readonly connects: Array<{ url: string; token: string }> = [];
  readonly connected = deferred();
  readonly published = deferred();
  readonly captured: Int16Array[] = [];
  readonly dtmf: Array<{ code: number; digit: string }> = [];
  publishCalls = 0;
  disconnects = 0;
  /** When set, each capture waits for the test to resolve it (a slow AudioSource). */
  slowCapture = false;
  readonly pendingCaptures: Array<Deferred<void>> = [];
  readonly opened: FakeRemoteStream[] = [];

  readonly factory: RoomFactory = (handlers) => {
    this.handlers = handlers;
    return this;
  };

  async connect(url: string, token: string): Promise<void> {
    this.connects.push({ url, token });
    await this.connected.promise;
  }

  async publishAudio(): Promise<AudioSink> {
    this.publishCalls++;
    await this.published.promise;
    return {
      capture: async (pcm) => {
        this.captured.push(pcm);
        if (!this.slowCapture) return;
        const done = deferred();
        this.pendingCaptures.push(done);
        await done.promise;
      },
    };
  }

  async publishDtmf(code: number, digit: string): Promise<void> {
    this.dtmf.push({ code, digit });
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
  }

  /** Joins and publishes at once. */
  async join(): Promise<void> {
    this.connected.resolve();
    this.published.resolve();
    await settle();
  }

  /** A remote participant's audio track arrives; returns the stream it will be read from if opened. */
  addTrack(participantIdentity: string, trackSid = `TR_${participantIdentity}`): { track: RemoteAudioTrack; opened: () => FakeRemoteStream | undefined } {
    let stream: FakeRemoteStream | undefined;
    const track: RemoteAudioTrack = {
      participantIdentity,
      trackSid,
      open: () => {
        stream = new FakeRemoteStream();
        this.opened.push(stream);
        return stream;
      },
    };
    this.handlers.audioTrack(track);
    return { track, opened: () => stream };
  }
}

/** Runs every promise callback that is ready: resumes after the microtask queue has drained (no timer). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
