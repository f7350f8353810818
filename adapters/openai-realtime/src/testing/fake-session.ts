/**
 * One connection to the fake Realtime server: speaks the GA wire protocol (JSON events, base64 PCM16 24 kHz), records
 * every client event, runs a crude server VAD on the appended audio, and answers each turn with a scripted response
 * (audio deltas sent faster than real time, function calls, `response.done`). Checks what the real API checks where
 * the adapter could get it wrong: `conversation.item.truncate` past the generated audio is an error.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import { pcm16FromBytes, pcm16ToBytes } from '@patchbay/agents';
import { transcriptionEvents, type CallerTranscriptScript } from './fake-transcription.js';
import { FakeVad } from './fake-vad.js';
import { tone } from './tone.js';

/** One step of a scripted response. */
export type ScriptStep =
  | { readonly type: 'audio'; readonly ms: number; readonly hz?: number; readonly dbfs?: number; readonly transcript?: string }
  | { readonly type: 'function_call'; readonly name: string; readonly arguments: string | object };

export interface ResponseRequest {
  /** `client`: a `response.create`; `vad`: the caller's turn ended (server VAD). */
  readonly trigger: 'client' | 'vad';
  /** Responses this session started before this one. */
  readonly index: number;
  /** The `response` of a `response.create`. */
  readonly params: Record<string, unknown> | undefined;
  readonly session: FakeSession;
}

export type ResponseScript = (request: ResponseRequest) => readonly ScriptStep[];

export interface ClientEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface RecordedEvent {
  readonly atMs: number;
  readonly event: ClientEvent;
}

export interface FakeItem {
  readonly id: string;
  readonly type: 'message' | 'function_call' | 'function_call_output';
  readonly role?: string;
  /** Audio generated for this item (assistant audio), samples. */
  audioSamples: number;
}

export interface FakeResponse {
  readonly id: string;
  readonly trigger: 'client' | 'vad';
  readonly params: Record<string, unknown> | undefined;
  readonly items: FakeItem[];
  status: 'in_progress' | 'completed' | 'cancelled';
  cancelRequested: boolean;
  /** `performance.now()` of its first audio delta. */
  firstAudioAtMs?: number;
}

export interface FakeSessionOptions {
  readonly script: ResponseScript;
  /** Audio is sent this many times faster than real time (Infinity: as fast as possible). */
  readonly realtimeFactor: number;
  /** Audio per delta, ms. */
  readonly chunkMs: number;
  readonly vadThresholdDbfs: number;
  /** Refuse `session.update` with this error (to test a misconfiguration). */
  readonly rejectSessionUpdate?: { readonly code: string; readonly message: string; readonly param?: string };
  /** The input transcription's results; none when unset. */
  readonly callerTranscript?: CallerTranscriptScript;
}

/** Input audio kept for byte-exact checks: 120 s. */
const MAX_INPUT_SAMPLES = 120 * 24_000;

export class FakeSession extends EventEmitter {
  readonly events: RecordedEvent[] = [];
  /** What this session's responses say (starts as the server's script; a test may swap it mid-call). */
  script: ResponseScript;
  readonly responses: FakeResponse[] = [];
  readonly items = new Map<string, FakeItem>();
  readonly truncations: { itemId: string; audioEndMs: number }[] = [];
  /** Errors this session sent (code, and the client event that caused it). */
  readonly errorsSent: { code: string; eventId: string | undefined }[] = [];
  /** The effective session configuration (merged `session.update`s). */
  config: Record<string, unknown> = {};
  /** Appended input audio, in order (up to 120 s). */
  private readonly input: Int16Array[] = [];
  private inputSamples = 0;
  private readonly vad: FakeVad;
  private active: FakeResponse | undefined;
  private seq = 0;
  private lastItemId: string | null = null;
  private userItemId = '';
  private closed = false;
  private running: Promise<void> = Promise.resolve();
  private committedTurns = 0;
  private readonly transcriptionTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly socket: WebSocket,
    private readonly options: FakeSessionOptions,
    readonly model: string,
  ) {
    super();
    this.script = options.script;
    this.vad = new FakeVad(options.vadThresholdDbfs, 500);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.onText(data.toString('utf8'));
    });
    socket.on('close', () => {
      this.closed = true;
      for (const timer of this.transcriptionTimers) clearTimeout(timer);
      this.emit('closed');
    });
    this.sendEvent({ type: 'session.created', session: { type: 'realtime', object: 'realtime.session', id: this.id('sess'), model } });
  }

  /** All input audio appended so far, concatenated. */
  inputAudio(): Int16Array {
    const out = new Int16Array(this.inputSamples);
    let at = 0;
    for (const chunk of this.input) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** Client events of `type`, in order. */
  eventsOf(type: string): ClientEvent[] {
    return this.events.filter((e) => e.event.type === type).map((e) => e.event);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends a server `error` event, as the API does for a refused client event. */
  sendError(code: string, message: string, eventId?: string, type = 'invalid_request_error'): void {
    this.errorsSent.push({ code, eventId });
    this.sendEvent({ type: 'error', error: { type, code, message, param: null, event_id: eventId ?? null } });
  }

  /** Closes the socket from the server side. */
  closeSocket(code = 1011, reason = 'server error'): void {
    this.socket.close(code, reason);
  }

  /** Resolves when the response generation in progress (if any) has finished. */
  settled(): Promise<void> {
    return this.running;
  }

  sendEvent(event: Record<string, unknown>): void {
    if (this.closed) return;
    this.socket.send(JSON.stringify({ event_id: this.id('event'), ...event }));
  }

  // ---- client events -------------------------------------------------------------------------------------------

  private onText(text: string): void {
    let event: ClientEvent;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') throw new Error('no type');
      event = parsed as ClientEvent;
    } catch {
      this.sendError('invalid_json', 'the event is not a JSON object with a type');
      return;
    }
    this.events.push({ atMs: performance.now(), event });
    this.emit('client-event', event);
    const eventId = typeof event['event_id'] === 'string' ? event['event_id'] : undefined;
    switch (event.type) {
      case 'session.update':
        return this.sessionUpdate(event, eventId);
      case 'input_audio_buffer.append':
        return this.append(event, eventId);
      case 'response.create':
        return this.responseCreate(event, eventId);
      case 'response.cancel':
        return this.responseCancel(event, eventId);
      case 'conversation.item.truncate':
        return this.truncate(event, eventId);
      case 'conversation.item.create':
        return this.itemCreate(event);
      default:
        return;
    }
  }

  private sessionUpdate(event: ClientEvent, eventId: string | undefined): void {
    const reject = this.options.rejectSessionUpdate;
    if (reject !== undefined) {
      this.errorsSent.push({ code: reject.code, eventId });
      this.sendEvent({ type: 'error', error: { type: 'invalid_request_error', code: reject.code, message: reject.message, param: reject.param ?? null, event_id: eventId ?? null } });
      return;
    }
    const session = isRecord(event['session']) ? event['session'] : {};
    this.config = { ...this.config, ...session };
    const silence = this.turnDetection()['silence_duration_ms'];
    if (typeof silence === 'number') this.vad.silenceMs = silence;
    this.sendEvent({ type: 'session.updated', session: this.config });
  }

  private append(event: ClientEvent, eventId: string | undefined): void {
    const audio = event['audio'];
    if (typeof audio !== 'string') return this.sendError('invalid_value', 'audio must be base64', eventId);
    const bytes = Buffer.from(audio, 'base64');
    if (bytes.length % 2 !== 0) return this.sendError('invalid_value', 'audio must be whole PCM16 samples', eventId);
    const pcm = pcm16FromBytes(bytes);
    if (this.inputSamples + pcm.length <= MAX_INPUT_SAMPLES) {
      this.input.push(pcm);
      this.inputSamples += pcm.length;
    }
    for (const vad of this.vad.process(pcm)) {
      if (vad.type === 'start') this.speechStarted(vad.atMs);
      else this.speechStopped(vad.atMs);
    }
  }

  private turnDetection(): Record<string, unknown> {
    const audio = isRecord(this.config['audio']) ? this.config['audio'] : {};
    const input = isRecord(audio['input']) ? audio['input'] : {};
    return isRecord(input['turn_detection']) ? input['turn_detection'] : {};
  }

  private speechStarted(atMs: number): void {
    this.userItemId = this.id('item');
    this.sendEvent({ type: 'input_audio_buffer.speech_started', audio_start_ms: atMs, item_id: this.userItemId });
    if (this.turnDetection()['interrupt_response'] !== false && this.active !== undefined) this.active.cancelRequested = true;
  }

  private speechStopped(atMs: number): void {
    const itemId = this.userItemId;
    this.sendEvent({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: atMs, item_id: itemId });
    this.sendEvent({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: this.lastItemId });
    this.addItem({ id: itemId, type: 'message', role: 'user', audioSamples: 0 });
    this.transcribe(itemId, this.committedTurns++);
    if (this.turnDetection()['create_response'] !== false && this.active === undefined) this.startResponse('vad', undefined);
  }

  /** The input transcription of a committed turn, when the session asked for one (`audio.input.transcription`). */
  private transcribe(itemId: string, turn: number): void {
    const audio = isRecord(this.config['audio']) ? this.config['audio'] : {};
    const input = isRecord(audio['input']) ? audio['input'] : {};
    const result = isRecord(input['transcription']) ? this.options.callerTranscript?.(turn) : undefined;
    if (result === undefined) return;
    const emit = (): void => {
      for (const event of transcriptionEvents(itemId, result)) this.sendEvent(event);
    };
    if ((result.delayMs ?? 0) <= 0) return emit();
    const timer = setTimeout(() => {
      this.transcriptionTimers.delete(timer);
      emit();
    }, result.delayMs);
    this.transcriptionTimers.add(timer);
  }

  private responseCreate(event: ClientEvent, eventId: string | undefined): void {
    if (this.active !== undefined) {
      this.sendError('conversation_already_has_active_response', `Conversation already has an active response in progress: ${this.active.id}.`, eventId);
      return;
    }
    this.startResponse('client', isRecord(event['response']) ? event['response'] : undefined);
  }

  private responseCancel(event: ClientEvent, eventId: string | undefined): void {
    const id = event['response_id'];
    if (this.active === undefined || (typeof id === 'string' && id !== this.active.id)) {
      this.sendError('response_cancel_not_active', 'Cancellation failed: no active response found', eventId);
      return;
    }
    this.active.cancelRequested = true;
  }

  private truncate(event: ClientEvent, eventId: string | undefined): void {
    const itemId = event['item_id'];
    const endMs = event['audio_end_ms'];
    const item = typeof itemId === 'string' ? this.items.get(itemId) : undefined;
    if (item === undefined || typeof itemId !== 'string') return this.sendError('item_not_found', `Item ${String(itemId)} not found`, eventId);
    if (item.role !== 'assistant') return this.sendError('invalid_value', 'Only assistant messages can be truncated', eventId);
    if (event['content_index'] !== 0) return this.sendError('invalid_value', 'content_index must be 0', eventId);
    const generatedMs = Math.floor(item.audioSamples / 24);
    if (typeof endMs !== 'number' || !Number.isInteger(endMs) || endMs < 0 || endMs > generatedMs) {
      return this.sendError('invalid_value', `Audio content of ${generatedMs}ms is already shorter than ${String(endMs)}ms`, eventId);
    }
    this.truncations.push({ itemId, audioEndMs: endMs });
    this.sendEvent({ type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: endMs });
  }

  private itemCreate(event: ClientEvent): void {
    const item = isRecord(event['item']) ? event['item'] : {};
    const type = item['type'] === 'function_call_output' ? 'function_call_output' : 'message';
    const role = typeof item['role'] === 'string' ? item['role'] : undefined;
    const created: FakeItem = { id: typeof item['id'] === 'string' ? item['id'] : this.id('item'), type, ...(role !== undefined ? { role } : {}), audioSamples: 0 };
    this.addItem(created);
  }

  private addItem(item: FakeItem): void {
    this.items.set(item.id, item);
    this.sendEvent({ type: 'conversation.item.added', previous_item_id: this.lastItemId, item: { id: item.id, type: item.type, role: item.role, status: 'completed' } });
    this.lastItemId = item.id;
  }

  // ---- responses -----------------------------------------------------------------------------------------------

  private startResponse(trigger: 'client' | 'vad', params: Record<string, unknown> | undefined): void {
    const response: FakeResponse = { id: this.id('resp'), trigger, params, items: [], status: 'in_progress', cancelRequested: false };
    const steps = this.script({ trigger, index: this.responses.length, params, session: this });
    this.responses.push(response);
    this.active = response;
    this.running = this.generate(response, steps).catch((err: unknown) => {
      this.emit('fault', err);
    });
  }

  private async generate(response: FakeResponse, steps: readonly ScriptStep[]): Promise<void> {
    this.sendEvent({ type: 'response.created', response: { id: response.id, object: 'realtime.response', status: 'in_progress', output: [] } });
    const output: Record<string, unknown>[] = [];
    for (const [index, step] of steps.entries()) {
      if (response.cancelRequested || this.closed) break;
      const base = { response_id: response.id, output_index: index };
      if (step.type === 'audio') {
        const item: FakeItem = { id: this.id('item'), type: 'message', role: 'assistant', audioSamples: 0 };
        response.items.push(item);
        this.items.set(item.id, item);
        const wire = { id: item.id, type: 'message', role: 'assistant', object: 'realtime.item', status: 'in_progress', content: [] };
        this.sendEvent({ type: 'response.output_item.added', ...base, item: wire });
        this.sendEvent({ type: 'conversation.item.added', previous_item_id: this.lastItemId, item: wire });
        this.lastItemId = item.id;
        const part = { ...base, item_id: item.id, content_index: 0 };
        this.sendEvent({ type: 'response.content_part.added', ...part, part: { type: 'audio', transcript: '' } });
        await this.stream(response, item, tone(step.ms, step.hz ?? 440, step.dbfs ?? -12), part);
        const transcript = step.transcript ?? `(${step.ms} ms of ${step.hz ?? 440} Hz)`;
        const status = response.cancelRequested ? 'incomplete' : 'completed';
        this.sendEvent({ type: 'response.output_audio.done', ...part });
        this.sendEvent({ type: 'response.output_audio_transcript.done', ...part, transcript });
        this.sendEvent({ type: 'response.content_part.done', ...part, part: { type: 'audio', transcript } });
        const done = { ...wire, status, content: [{ type: 'output_audio', transcript }] };
        this.sendEvent({ type: 'response.output_item.done', ...base, item: done });
        output.push(done);
      } else {
        const args = typeof step.arguments === 'string' ? step.arguments : JSON.stringify(step.arguments);
        const item: FakeItem = { id: this.id('item'), type: 'function_call', audioSamples: 0 };
        const callId = this.id('call');
        response.items.push(item);
        this.items.set(item.id, item);
        const wire = { id: item.id, type: 'function_call', object: 'realtime.item', status: 'in_progress', name: step.name, call_id: callId, arguments: '' };
        this.sendEvent({ type: 'response.output_item.added', ...base, item: wire });
        this.lastItemId = item.id;
        this.sendEvent({ type: 'response.function_call_arguments.delta', ...base, item_id: item.id, call_id: callId, delta: args });
        this.sendEvent({ type: 'response.function_call_arguments.done', ...base, item_id: item.id, call_id: callId, name: step.name, arguments: args });
        const done = { ...wire, status: 'completed', arguments: args };
        this.sendEvent({ type: 'response.output_item.done', ...base, item: done });
        output.push(done);
      }
    }
    response.status = response.cancelRequested ? 'cancelled' : 'completed';
    if (this.active === response) this.active = undefined;
    this.sendEvent({
      type: 'response.done',
      response: { id: response.id, object: 'realtime.response', status: response.status, output, ...(response.status === 'cancelled' ? { status_details: { type: 'cancelled', reason: 'client_cancelled' } } : {}) },
    });
    this.sendEvent({ type: 'rate_limits.updated', rate_limits: [{ name: 'tokens', limit: 40_000, remaining: 39_000, reset_seconds: 1.5 }] });
  }

  private async stream(response: FakeResponse, item: FakeItem, pcm: Int16Array, part: Record<string, unknown>): Promise<void> {
    const chunk = Math.max(1, Math.round(this.options.chunkMs * 24));
    for (let at = 0; at < pcm.length; at += chunk) {
      if (response.cancelRequested || this.closed) return;
      const piece = pcm.subarray(at, Math.min(pcm.length, at + chunk));
      response.firstAudioAtMs ??= performance.now();
      item.audioSamples += piece.length;
      this.sendEvent({ type: 'response.output_audio.delta', ...part, delta: pcm16ToBytes(piece).toString('base64') });
      const waitMs = (piece.length / 24 / this.options.realtimeFactor);
      await (Number.isFinite(waitMs) && waitMs >= 1 ? sleep(waitMs) : sleep(0));
    }
  }

  private id(kind: string): string {
    return `${kind}_fake${++this.seq}`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
