/**
 * The caller's turn being spoken: the transcripts received so far, and where the caller's speech ended on the
 * caller-audio clock (ms since answer = frames received × 20), for the `stt` stage. Pure and synchronous.
 *
 * End of speech: the gateway's `speech_stopped.atMs` when it belongs to this turn (after the previous turn ended, and
 * not older than the latest `speech_started`), else the end of Deepgram's last final word. The `stt` latency is the
 * caller-stream position when the turn-ending transcript arrived minus that end: both on the same audio clock, so no
 * wall-clock skew, and the gateway's hangover (or Deepgram's endpointing) is part of it, as the caller lives it.
 */
import type { TranscriptEvent } from './stt/deepgram-live.js';

export interface EndedTurn {
  readonly text: string;
  /** End of speech → turn-ending transcript, when known. */
  readonly sttMs: number | undefined;
}

export class CallerTurn {
  /** The caller stream position (ms since answer). */
  positionMs = 0;
  private finals: string[] = [];
  private interim = '';
  private lastWordEndMs: number | undefined;
  private speechStartedAtMs: number | undefined;
  private speechStoppedAtMs: number | undefined;
  private lastEndMs = 0;

  audio(ms: number): void {
    this.positionMs += ms;
  }

  speechStarted(atMs: number): void {
    this.speechStartedAtMs = atMs;
  }

  speechStopped(atMs: number): void {
    this.speechStoppedAtMs = atMs;
  }

  transcript(e: TranscriptEvent): void {
    if (e.isFinal) {
      if (e.text !== '') {
        this.finals.push(e.text);
        this.lastWordEndMs = e.endMs;
      }
      this.interim = '';
    } else {
      this.interim = e.text;
    }
  }

  /** The turn so far: its final transcripts and the latest interim one. */
  get soFar(): string {
    return [...this.finals, this.interim].join(' ').trim();
  }

  /**
   * Ends the turn if it has words: on `speech_final` the final transcripts; on `utterance_end` also a trailing interim
   * (Deepgram sent no final for it before the gap).
   */
  end(cause: 'speech_final' | 'utterance_end'): EndedTurn | undefined {
    const parts = cause === 'utterance_end' && this.interim !== '' ? [...this.finals, this.interim] : this.finals;
    const text = parts.join(' ').trim();
    if (text === '') return undefined;
    const started = this.speechStartedAtMs;
    const stopped = this.speechStoppedAtMs;
    const gatewayEnd = stopped !== undefined && stopped > this.lastEndMs && (started === undefined || stopped >= started) ? stopped : undefined;
    const endMs = gatewayEnd ?? this.lastWordEndMs;
    const sttMs = endMs !== undefined && endMs <= this.positionMs ? this.positionMs - endMs : undefined;
    this.finals = [];
    this.interim = '';
    this.lastWordEndMs = undefined;
    this.lastEndMs = this.positionMs;
    return { text, sttMs };
  }
}
