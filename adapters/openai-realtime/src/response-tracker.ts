/**
 * The model's responses as the adapter sees them: which one is in progress (the API allows one at a time, so a
 * `response.create` asked for meanwhile waits for its `response.done`), which ones were cut by a barge-in (their late
 * audio is dropped), and which ones produced audio. Every set is bounded.
 */
import type { RealtimeClientEvent, RealtimeResponseCreateParams } from 'openai/resources/realtime/realtime';

const MAX_REMEMBERED = 32;
const ACTIVE_RESPONSE = 'conversation_already_has_active_response';

export class ResponseTracker {
  private active: string | undefined;
  /** A `response.create` of ours is on its way (no `response.created` yet). */
  private requested = false;
  /** One `response.create` waiting for the active response to end. */
  private pending: RealtimeResponseCreateParams | undefined;
  private readonly sentCreates = new Map<string, RealtimeResponseCreateParams>();
  private readonly dropped = new Set<string>();
  private readonly withAudio = new Set<string>();

  constructor(
    private readonly send: (event: RealtimeClientEvent) => boolean,
    private readonly eventId: () => string,
  ) {}

  get isActive(): boolean {
    return this.active !== undefined;
  }

  /** Asks for a response now, or once the one in progress is done (requests meanwhile merge into one). */
  request(params: RealtimeResponseCreateParams = {}): void {
    if (this.active !== undefined || this.requested) {
      this.pending ??= params;
      return;
    }
    const id = this.eventId();
    if (!this.send({ type: 'response.create', event_id: id, ...(Object.keys(params).length > 0 ? { response: params } : {}) })) return;
    this.requested = true;
    this.sentCreates.set(id, params);
    trim(this.sentCreates);
  }

  created(id: string): void {
    this.active = id;
    this.requested = false;
  }

  done(id: string): void {
    if (this.active === id) this.active = undefined;
    if (this.active === undefined && !this.requested && this.pending !== undefined) {
      const params = this.pending;
      this.pending = undefined;
      this.request(params);
    }
  }

  /** Barge-in: cancels the response in progress (if any) and drops whatever audio of it still arrives. */
  cancelActive(): void {
    if (this.active === undefined) return;
    const id = this.active;
    this.send({ type: 'response.cancel', response_id: id });
    remember(this.dropped, id);
  }

  isDropped(responseId: string): boolean {
    return this.dropped.has(responseId);
  }

  /** Records that `responseId` produced audio; true the first time. */
  firstAudio(responseId: string): boolean {
    if (this.withAudio.has(responseId)) return false;
    remember(this.withAudio, responseId);
    return true;
  }

  hadAudio(responseId: string): boolean {
    return this.withAudio.has(responseId);
  }

  /**
   * An API error: if it refused one of our `response.create`s, forget that request, and if the reason is another
   * response in progress, ask again once that one is done. True when the error is handled (an expected race).
   */
  rejected(code: string, eventId: string | undefined): boolean {
    const params = eventId === undefined ? undefined : this.sentCreates.get(eventId);
    if (params === undefined || eventId === undefined) return false;
    this.sentCreates.delete(eventId);
    this.requested = false;
    if (code !== ACTIVE_RESPONSE) return false;
    // Another response (one the server's VAD started) is in progress: ask again when it is done.
    this.pending ??= params;
    return true;
  }
}

function remember(into: Set<string>, key: string): void {
  into.add(key);
  trim(into);
}

/** Forgets the oldest entries beyond MAX_REMEMBERED (Maps and Sets iterate in insertion order). */
function trim(from: Set<string> | Map<string, unknown>): void {
  while (from.size > MAX_REMEMBERED) {
    const oldest = from.keys().next();
    if (oldest.done === true) return;
    from.delete(oldest.value);
  }
}
