/**
 * One call bridged to one Realtime session: caller frames → `input_audio_buffer.append`; model audio deltas →
 * `ctx.sendAudio`, unchanged (both sides are PCM16 24 kHz); barge-in → `response.cancel`, `conversation.item.truncate`
 * to what the caller heard (`barge-in-cuts.ts`), `clear`; tool calls → hangup / transfer / dtmf; the model's
 * answer latency → `stage{realtime}`; the caller's input transcription and the model's audio transcripts →
 * `transcript` lines, in the order said (transcript-order.ts). Never throws out of a callback: a fault ends the call
 * with `hangup`.
 */
import { TranscriptLines } from '@patchbay/adapter-kit';
import { PROTOCOL_LIMITS, type AgentContext, type AgentMessage, type AgentSession, type GatewayMessage, type StartMessage } from '@patchbay/agents';
import type { RealtimeClientEvent, RealtimeError, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { BargeInCuts } from './barge-in-cuts.js';
import type { CallLogger } from './call-logger.js';
import { keypadItem, resumeItems, transferFailedItem, whisperInstructions } from './conversation-items.js';
import { DtmfRelay } from './dtmf-relay.js';
import { RealtimeFailureCode, type RealtimeFailureCodeValue } from './failure-codes.js';
import type { RealtimeOptions } from './options.js';
import { Base64PcmDecoder } from './pcm-base64.js';
import { PlaybackLedger } from './playback-ledger.js';
import { PlayoutWaits } from './playout-waits.js';
import { RealtimeConnection } from './realtime-connection.js';
import { ResponseTracker } from './response-tracker.js';
import { sessionConfig } from './session-config.js';
import { runToolCalls, type FunctionCall, type ToolHost } from './tool-runner.js';
import { TranscriptOrder } from './transcript-order.js';

/** The hang-up reason when the Realtime session cannot go on (refused, closed, misconfigured). */
export const AGENT_ERROR_REASON = 'agent_error';
/** Error codes of the API that are expected races, not faults. */
const BENIGN_ERRORS = new Set(['response_cancel_not_active']);
/** Longest an answer's transcript line waits for the transcript of the caller's turn before it. */
const TRANSCRIPT_HOLD_MS = 3_000;

export interface SessionSetup {
  readonly ctx: AgentContext;
  readonly options: RealtimeOptions;
  readonly apiKey: string;
  readonly logger: CallLogger;
}

export class RealtimeSession implements AgentSession {
  private readonly ctx: AgentContext;
  private readonly options: RealtimeOptions;
  private readonly log: CallLogger;
  private readonly conn: RealtimeConnection;
  private readonly ledger = new PlaybackLedger();
  private readonly responses: ResponseTracker;
  private readonly decoder = new Base64PcmDecoder();
  private decoderItem = '';
  private readonly dtmf: DtmfRelay;
  private readonly cuts: BargeInCuts;
  /** A goodbye or a transfer waiting for the caller to hear what came before it. */
  private readonly waits: PlayoutWaits;
  private readonly onAbort = (): void => this.close();
  private readonly transcript: TranscriptOrder;
  private sessionUpdateId = '';
  private eventSeq = 0;
  private markSeq = 0;
  /** `performance.now()` when the caller's speech last ended, until the first answer audio after it. */
  private turnEndAtMs: number | undefined;
  private transferName = '';
  /** A warm transfer's summary, said to the person when they answer. */
  private consultSummary: string | undefined;
  /** The response introducing the caller to the person: once it has played, `bridge`. */
  private whisperResponse = false;
  /** The gateway sends speech_started / speech_stopped (its number's bargeIn is not off). */
  private gatewaySpeech = false;
  private ended = false;
  private closed = false;

  constructor(setup: SessionSetup) {
    this.ctx = setup.ctx;
    this.options = setup.options;
    this.log = setup.logger;
    this.responses = new ResponseTracker((event) => this.sendEvent(event), () => this.nextEventId('resp'));
    this.transcript = new TranscriptOrder(new TranscriptLines(this.options.transcript, (msg) => this.send(msg)), TRANSCRIPT_HOLD_MS);
    this.cuts = new BargeInCuts({ ledger: this.ledger, responses: this.responses, log: this.log, send: (msg) => this.send(msg), sendEvent: (event) => this.sendEvent(event) });
    this.waits = new PlayoutWaits({
      ledger: this.ledger,
      maxWaitMs: this.options.maxGoodbyeMs,
      placeMark: (name) => this.placeMark(name),
      run: (what, action) => this.guard(what, action),
    });
    this.dtmf = new DtmfRelay(this.options.dtmfFlushMs, (digits) => this.guard('dtmf', () => this.tellDigits(digits)));
    this.conn = new RealtimeConnection(
      { apiKey: setup.apiKey, baseUrl: this.options.baseUrl, model: this.options.model, connectTimeoutMs: this.options.connectTimeoutMs },
      {
        onOpen: () => this.guard('open', () => this.configure()),
        onEvent: (event) => this.guard(event.type, () => this.onServerEvent(event)),
        onTransportError: (err) => this.log.warn({ err: err.message }, 'realtime socket error'),
        onClose: (code, reason) => this.guard('close', () => this.fail(RealtimeFailureCode.SocketClosed, { closeCode: code, closeReason: reason })),
      },
    );
    this.log.debug({ url: this.conn.url }, 'connecting to realtime');
    if (this.ctx.signal.aborted) this.close();
    else this.ctx.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onAudio(frame: Int16Array): void {
    if (!this.closed) this.conn.appendAudio(frame); // encodes (copies) at once
  }

  onMessage(msg: GatewayMessage): void {
    this.guard(msg.type, () => this.onGatewayMessage(msg));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    this.conn.close();
    this.dtmf.close();
    this.transcript.close();
    this.waits.close();
    this.log.info({ droppedFrames: this.conn.droppedFrames, forgottenSegments: this.ledger.forgottenSegments }, 'realtime session closed');
  }

  // ---- gateway → adapter ----------------------------------------------------------------------------------------

  private onGatewayMessage(msg: GatewayMessage): void {
    switch (msg.type) {
      case 'start':
        return;
      case 'dtmf':
        if (this.options.dtmfToText) this.dtmf.push(msg.digit);
        return;
      case 'mark':
        this.ledger.markReturned(msg.name, msg.status);
        this.waits.markReturned(msg.name, msg.status);
        return;
      case 'cleared':
        return this.cuts.cleared(msg.turnId, msg.playedMs);
      case 'interrupted':
        return this.cuts.interrupted(msg.playedMs);
      case 'speech_started':
        this.gatewaySpeech = true;
        this.turnEndAtMs = undefined;
        return;
      case 'speech_stopped':
        this.gatewaySpeech = true;
        this.turnEnded();
        return;
      case 'stop':
        this.log.debug({ reason: msg.reason }, 'call stopped');
        return;
      case 'consult':
        return this.consultStep(msg);
      case 'error':
        if (msg.code === 'transfer_failed') return this.transferFailed(msg.message);
        this.log.debug({ code: msg.code, droppedMs: msg.droppedMs }, 'gateway error');
        return;
    }
  }

  // ---- API → adapter ---------------------------------------------------------------------------------------------

  private configure(): void {
    this.sessionUpdateId = this.nextEventId('session');
    this.sendEvent({ type: 'session.update', event_id: this.sessionUpdateId, session: sessionConfig(this.options) });
    const resume = this.ctx.start.resume;
    if (resume !== undefined) return this.resumeConversation(resume);
    if (this.options.greeting !== undefined) {
      const instructions = this.options.instructions === undefined ? this.options.greeting : `${this.options.instructions}\n\n${this.options.greeting}`;
      this.responses.request({ instructions });
    }
  }

  /**
   * This connection takes over a call whose previous agent failed (the gateway's agent failover, `start.resume`):
   * the conversation so far goes back in as items (the caller's lines as user input, the agent's as its own
   * replies), then a note of what happened, and the model answers at once instead of greeting.
   */
  private resumeConversation(resume: NonNullable<StartMessage['resume']>): void {
    for (const item of resumeItems(resume)) this.sendEvent(item);
    this.log.info({ attempt: resume.attempt, cause: resume.cause, lines: resume.transcript.length }, 'realtime: picking up a call under way (start.resume)');
    this.responses.request();
  }

  private onServerEvent(event: RealtimeServerEvent): void {
    switch (event.type) {
      case 'response.output_audio.delta':
        return this.audioDelta(event.response_id, event.item_id, event.delta);
      case 'response.created':
        this.responses.created(event.response.id ?? '');
        return;
      case 'response.done':
        return this.responseDone(event);
      case 'input_audio_buffer.speech_started':
        // The gateway's speech events, when it sends them, are the turn's clock (the model's arrive later).
        if (!this.gatewaySpeech) this.turnEndAtMs = undefined;
        if (this.options.bargeIn === 'agent') this.cuts.modelHeardCaller();
        return;
      case 'input_audio_buffer.speech_stopped':
        this.turnEnded();
        return;
      case 'input_audio_buffer.committed':
        this.turnEnded();
        this.transcript.callerCommitted(event.item_id);
        return;
      case 'error':
        return this.apiError(event.error);
      case 'session.updated':
        this.log.debug({}, 'realtime session configured');
        return;
      case 'rate_limits.updated':
        this.log.debug({ rateLimits: event.rate_limits }, 'realtime rate limits');
        return;
      case 'conversation.item.input_audio_transcription.delta':
        this.transcript.callerDelta(event.item_id, event.delta ?? '');
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.log.debug({ itemId: event.item_id, transcript: event.transcript }, 'caller said');
        this.transcript.callerDone(event.item_id, event.transcript);
        return;
      case 'conversation.item.input_audio_transcription.failed':
        this.log.warn({ itemId: event.item_id, apiCode: event.error.code }, 'caller transcription failed');
        this.transcript.callerDone(event.item_id, undefined);
        return;
      case 'response.output_audio_transcript.done':
        this.log.debug({ itemId: event.item_id, transcript: event.transcript }, 'model said');
        this.agentSaid(event.response_id, event.item_id, event.transcript);
        return;
      default:
        return;
    }
  }

  private audioDelta(responseId: string, itemId: string, delta: string): void {
    if (this.responses.isDropped(responseId) || this.ended) return;
    if (itemId !== this.decoderItem) {
      this.decoder.reset();
      this.decoderItem = itemId;
    }
    const pcm = this.decoder.decode(delta);
    if (pcm.length === 0) return;
    if (this.responses.firstAudio(responseId) && this.turnEndAtMs !== undefined) {
      const ms = Math.min(Math.round(performance.now() - this.turnEndAtMs), PROTOCOL_LIMITS.maxStageMs);
      this.turnEndAtMs = undefined;
      this.send({ type: 'stage', stage: 'realtime', ms });
    }
    this.ledger.addAudio(itemId, pcm.length);
    this.ctx.sendAudio(pcm);
  }

  private responseDone(event: Extract<RealtimeServerEvent, { type: 'response.done' }>): void {
    const response = event.response;
    const id = response.id ?? '';
    const hadAudio = this.responses.hadAudio(id) && !this.responses.isDropped(id);
    if (hadAudio && !this.ended) this.placeMark(`response-${++this.markSeq}`);
    const calls: FunctionCall[] = [];
    for (const item of response.output ?? []) {
      if (item.type === 'function_call' && response.status === 'completed') calls.push({ name: item.name, callId: item.call_id ?? '', arguments: item.arguments });
      // An answer whose `output_audio_transcript.done` did not come: its transcript is in the item.
      if (item.type === 'message' && item.role === 'assistant' && item.id !== undefined) {
        const text = item.content.map((c) => c.transcript ?? '').join(' ');
        if (text.trim() !== '') this.agentSaid(id, item.id, text);
      }
    }
    this.log.debug({ responseId: id, status: response.status, calls: calls.length }, 'response done');
    this.responses.done(id);
    if (this.whisperResponse && response.status === 'completed') {
      // The person has been introduced: once that has played, the caller is put through (we leave the call).
      this.whisperResponse = false;
      this.waits.after('bridge', () => this.send({ type: 'bridge' }));
    }
    if (calls.length > 0 && !this.ended) runToolCalls(calls, this.options, this.toolHost);
  }

  private apiError(error: RealtimeError): void {
    const code = error.code ?? '';
    if (BENIGN_ERRORS.has(code)) {
      this.log.debug({ apiCode: code }, 'realtime: expected race');
      return;
    }
    if (this.responses.rejected(code, error.event_id ?? undefined)) {
      this.log.debug({ apiCode: code }, 'realtime: response.create deferred');
      return;
    }
    const info = { apiCode: code, type: error.type, param: error.param, message: error.message };
    if (error.event_id === this.sessionUpdateId) {
      this.fail(RealtimeFailureCode.SessionRefused, info);
      return;
    }
    this.log.warn(info, 'realtime error');
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  /**
   * The model's transcript of an answer's audio, once per item; only for answers the caller got audio of, and not
   * after our hang-up. Cut by a barge-in, it is the API's transcript of the audio generated before the cut (the API
   * deletes the transcript on truncate and never says which words were heard).
   */
  private agentSaid(responseId: string, itemId: string, text: string): void {
    if (!this.ended && this.responses.hadAudio(responseId)) this.transcript.agent(text, itemId);
  }

  private turnEnded(): void {
    this.turnEndAtMs ??= performance.now();
  }

  private tellDigits(digits: string): void {
    this.sendEvent(keypadItem(digits));
    this.responses.request();
  }

  /** A step of our warm transfer: introduce the caller when the person answers; tell the model if it did not work. */
  private consultStep(msg: Extract<GatewayMessage, { type: 'consult' }>): void {
    this.log.info({ status: msg.status, reason: msg.reason }, 'warm transfer');
    if (msg.status === 'dialling') return;
    if (msg.status === 'answered') {
      const summary = msg.whisper ?? this.consultSummary ?? '';
      this.whisperResponse = true;
      this.responses.request({ instructions: whisperInstructions(this.transferName, summary) });
      return;
    }
    this.whisperResponse = false;
    this.transferFailed(`warm transfer ${msg.status}${msg.reason ? ` (${msg.reason})` : ''}`);
  }

  private transferFailed(message: string): void {
    this.log.warn({}, 'transfer failed');
    this.log.debug({ message }, 'transfer failure'); // may name the target: personal data
    this.sendEvent(transferFailedItem(this.transferName));
    this.responses.request();
  }

  private placeMark(name: string): void {
    this.ledger.placeMark(name);
    this.send({ type: 'mark', name });
  }

  private readonly toolHost: ToolHost = {
    sendEvent: (event) => {
      this.sendEvent(event);
    },
    requestResponse: () => this.responses.request(),
    sendToGateway: (msg) => this.sendFinal(msg),
    afterPlayout: (what, action) => this.waits.after(what, action),
    transferring: (name) => {
      this.transferName = name;
    },
    consulting: (name, summary) => {
      this.transferName = name;
      this.consultSummary = summary;
    },
    debug: (obj, msg) => this.log.debug(obj, msg),
  };

  /** hangup / transfer / dtmf from a tool; after a hang-up the model's audio is no longer forwarded. */
  private sendFinal(msg: AgentMessage): void {
    if (this.ended) return;
    if (msg.type === 'hangup' || msg.type === 'transfer') this.transcript.release(); // `stop` may follow at once
    if (msg.type === 'hangup') this.ended = true;
    this.send(msg);
  }

  /** The session cannot go on: hang up with a clear reason (once). */
  private fail(code: RealtimeFailureCodeValue, detail: object = {}): void {
    if (this.closed || this.ended) return;
    this.log.error({ ...detail, code }, 'realtime session failed; hanging up');
    this.transcript.release();
    this.ended = true;
    this.send({ type: 'hangup', reason: AGENT_ERROR_REASON });
  }

  private send(msg: AgentMessage): void {
    if (!this.closed) this.ctx.send(msg);
  }

  private sendEvent(event: RealtimeClientEvent): boolean {
    return !this.closed && this.conn.send(event);
  }

  private nextEventId(kind: string): string {
    return `pb_${kind}_${++this.eventSeq}`;
  }

  /** Runs a callback; a throw is logged and ends the call instead of escaping into the SDK or the gateway. */
  private guard(what: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.fail(RealtimeFailureCode.Fault, { err: err instanceof Error ? err.message : String(err), what });
    }
  }
}
