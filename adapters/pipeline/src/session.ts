/**
 * One call of the pipeline agent: the turn-taking state machine between the caller (gateway messages and audio),
 * speech-to-text, the chat model and text-to-speech.
 *
 * - The caller's turn ends on Deepgram's `speech_final` (its endpointing saw `endpointingMs` of silence after words)
 *   or, as a fallback, on `UtteranceEnd`. The gateway's `speech_stopped` does not end turns (the transcript is not
 *   final then); it times the `stt` stage.
 * - Each turn starts a Reply (LLM → sentences → TTS → audio + a mark per sentence). Only one reply is active at a time.
 * - Interruptions, all flushing every stage of the reply at once:
 *   · `interrupted{playedMs}` (the number's `bargeIn: gateway`): cancel, keep what was heard, send `clear`;
 *   · the caller's words (Deepgram transcripts) while the reply's audio plays, at least `interruptMinWords` of them
 *     (`bargeIn: agent`, or speech the gateway did not treat as a barge-in): cancel, send `clear`, and keep what was
 *     heard once `cleared{playedMs}` answers (until then only the sentences whose marks came back `played`);
 *   · words while the reply is still silent (LLM thinking): cancel it; nothing was heard, and the caller's next
 *     transcript joins the previous one into one user message.
 * - History keeps only what the caller heard: `playedMs` mapped onto the sentences (heard.ts), a cut reply ending "—".
 * - Transcript lines (`transcript` option): the caller's turn when it ends (the text the model gets; `partial`: the turn
 *   so far on each Deepgram result); a reply once all its audio has played (the text spoken), or when it is cut (what
 *   was heard, ending "—"; when we cut it ourselves, the sentences whose marks came back `played`). A reply still
 *   playing when the call ends has no line (nothing may be sent after `stop`).
 * - Stages: `stt` = end of the caller's speech (the gateway's `speech_stopped.atMs`, else Deepgram's last word end) →
 *   the turn-ending transcript, both on the caller-audio clock; `llm` = request → first token; `tts` = first
 *   sentence's request → its first audio.
 */
import { resumeNote, TranscriptLines, type AdapterLogger } from '@patchbay/adapter-kit';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { PROTOCOL_LIMITS, SAMPLES_PER_MS, type AgentContext, type AgentSession, type GatewayMessage } from '@patchbay/agents';
import { CallerTurn } from './caller-turn.js';
import { Clears } from './clears.js';
import { Conversation, type ToolCallRecord } from './conversation.js';
import { describeError, type PipelineError } from './errors.js';
import { DEFAULT_MS_PER_CHAR, truncated } from './heard.js';
import type { OpenAiChat } from './llm/openai-chat.js';
import { toolAction, toolDefinitions } from './llm/tools.js';
import type { PipelineOptions, ToolOptions } from './options.js';
import { Reply, type ReplyOutput, type ReplySource } from './reply.js';
import type { SpeechToText, SpeechToTextEvents, TranscriptEvent } from './stt/deepgram-live.js';
import type { TextToSpeech } from './tts/text-to-speech.js';

export interface SessionDeps {
  readonly options: PipelineOptions;
  readonly llm: OpenAiChat;
  readonly tts: TextToSpeech;
  readonly stt: (events: SpeechToTextEvents, logger: AdapterLogger) => SpeechToText;
  readonly logger: AdapterLogger;
  /** Audio a reply may send ahead of what has played (default 20 s). */
  readonly maxAheadMs?: number;
}

/** Audio a reply sends ahead of what has played: the gateway buffers 120 s; little synthesis is wasted on a barge-in. */
const DEFAULT_MAX_AHEAD_MS = 20_000;

export class PipelineSession implements AgentSession {
  private readonly logger: AdapterLogger;
  private readonly conversation: Conversation;
  private readonly stt: SpeechToText;
  private readonly tools: ChatCompletionFunctionTool[];
  private readonly out: ReplyOutput;
  private readonly transcript: TranscriptLines;
  /** Replies whose transcript line was settled (sent, or nothing heard). */
  private readonly said = new WeakSet<Reply>();
  private reply: Reply | undefined;
  private replies = 0;
  /** Our `clear`s, and the cut replies waiting for their `cleared`. */
  private readonly clears: Clears<Reply>;
  /** The last transfer asked for, to tell the model if it failed. */
  private transferRecord: ToolCallRecord | undefined;
  /** Samples sent since our last `clear` (the gateway's turn positions). */
  private turnSamples = 0;
  private readonly turn = new CallerTurn();
  /** Speaking rate measured on this call's complete sentences. */
  private spokenChars = 0;
  private spokenSamples = 0;
  private ending = false;
  private closed = false;

  constructor(
    private readonly ctx: AgentContext,
    private readonly deps: SessionDeps,
  ) {
    const callId = ctx.start.callId;
    const base = deps.logger;
    this.logger = {
      debug: (o, m) => base.debug({ callId, ...o }, m),
      info: (o, m) => base.info({ callId, ...o }, m),
      warn: (o, m) => base.warn({ callId, ...o }, m),
      error: (o, m) => base.error({ callId, ...o }, m),
    };
    this.clears = new Clears<Reply>((turnId) => this.ctx.send({ type: 'clear', turnId }), this.logger);
    this.conversation = new Conversation(deps.options.instructions, deps.options.llm.maxHistoryMessages);
    this.tools = toolDefinitions(this.toolOptions());
    this.transcript = new TranscriptLines(deps.options.transcript, (msg) => {
      if (!this.closed) this.ctx.send(msg);
    });
    this.out = {
      play: (pcm) => {
        const at = this.turnSamples;
        this.turnSamples += pcm.length;
        this.ctx.sendAudio(pcm);
        return at;
      },
      mark: (name) => this.ctx.send({ type: 'mark', name }),
      stage: (stage, ms) => this.stage(stage, ms),
      spoken: (chars, samples) => {
        this.spokenChars += chars;
        this.spokenSamples += samples;
      },
    };
    this.stt = deps.stt(
      {
        transcript: (e) => this.onTranscript(e),
        utteranceEnd: () => this.endTurn('utterance_end'),
        speechStarted: (atMs) => this.logger.debug({ atMs }, 'deepgram speech started'),
        failed: (err) => this.sttFailed(err),
      },
      this.logger,
    );
    ctx.signal.addEventListener('abort', () => this.close(), { once: true });
    this.stt.start();
    const resume = ctx.start.resume;
    if (resume !== undefined) {
      // This connection picks up a call under way (its agent failed, or its person hung up): the conversation so far
      // goes back in, then a note of what happened, and the model answers at once instead of the greeting.
      resume.transcript.forEach((line, i) => (line.role === 'caller' ? this.conversation.addUser(line.text) : this.conversation.setAssistant(`resumed-${i}`, line.text)));
      this.conversation.addUser(`[${resumeNote(resume.cause)}]`);
      this.logger.info({ attempt: resume.attempt, cause: resume.cause, lines: resume.transcript.length }, 'pipeline: picking up a call under way (start.resume)');
      this.startReply('llm');
    } else if (deps.options.greeting !== undefined) this.startReply({ kind: 'text', text: deps.options.greeting });
  }

  onAudio(frame: Int16Array): void {
    if (this.closed) return;
    this.turn.audio(frame.length / SAMPLES_PER_MS);
    this.stt.sendAudio(frame);
  }

  onMessage(msg: GatewayMessage): void {
    if (this.closed) return;
    switch (msg.type) {
      case 'mark': {
        const reply = this.reply;
        reply?.onMark(msg.name, msg.status);
        if (reply?.playedOut === true && !reply.cancelled) this.agentLine(reply, this.replyText(reply));
        return;
      }
      case 'interrupted':
        this.gatewayInterrupted(msg.playedMs);
        return;
      case 'cleared': {
        const reply = this.clears.cleared(msg.turnId);
        if (reply !== undefined) this.recordHeard(reply, msg.playedMs);
        return;
      }
      case 'speech_started':
        this.turn.speechStarted(msg.atMs);
        return;
      case 'speech_stopped':
        this.turn.speechStopped(msg.atMs);
        return;
      case 'stop':
        this.close();
        return;
      case 'error':
        this.logger.warn({ code: msg.code, droppedMs: msg.droppedMs }, 'gateway reported an error');
        if (msg.code === 'transfer_failed' && this.transferRecord !== undefined) this.transferRecord.result = 'failed: the transfer did not go through; the call goes on';
        return;
      case 'consult':
        return this.consultStep(msg);
      case 'dtmf':
        this.logger.debug({ durationMs: msg.durationMs }, 'caller pressed a key (not used by the pipeline)');
        return;
      case 'start':
        return;
    }
  }

  /** A step of our warm transfer: say the summary to the person when they answer, then `bridge` once it has played. */
  private consultStep(msg: Extract<GatewayMessage, { type: 'consult' }>): void {
    this.logger.info({ status: msg.status, reason: msg.reason }, 'warm transfer');
    if (msg.status === 'dialling') return;
    if (msg.status === 'answered') {
      this.startReply({ kind: 'text', text: msg.whisper ?? 'I have a caller for you.' });
      const intro = this.reply;
      this.track(
        (async () => {
          if (intro !== undefined && (await intro.waitPlayedOut(this.deps.options.farewellTimeoutMs)) && !this.closed) this.ctx.send({ type: 'bridge' });
        })(),
      );
      return;
    }
    if (this.transferRecord !== undefined) this.transferRecord.result = `failed: the person was not reached (${msg.status}${msg.reason ? `: ${msg.reason}` : ''}); the call goes on`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stt.close();
    this.reply?.cancel();
    this.clears.close();
  }

  // ---- the caller's turn ---------------------------------------------------------------------------------------

  private onTranscript(e: TranscriptEvent): void {
    if (this.closed) return;
    this.logger.debug({ isFinal: e.isFinal, speechFinal: e.speechFinal, words: e.words }, 'transcript');
    if (e.words > 0) this.callerSpoke(e.words);
    this.turn.transcript(e);
    if (e.speechFinal) this.endTurn('speech_final');
    else this.transcript.caller(this.turn.soFar, false);
  }

  /** The caller said something while a reply is active: it stops. */
  private callerSpoke(words: number): void {
    const reply = this.activeReply();
    if (reply === undefined) return;
    if (!reply.sentAudio) {
      this.logger.debug({ replyId: reply.id }, 'caller spoke before the reply was audible; dropping it');
      reply.cancel();
      this.recordHeard(reply, 0);
      return;
    }
    if (words >= this.deps.options.interruptMinWords) this.interruptOurselves(reply);
  }

  private endTurn(cause: 'speech_final' | 'utterance_end'): void {
    if (this.closed || this.ending) return;
    const ended = this.turn.end(cause);
    if (ended === undefined) return;
    const { text, sttMs } = ended;
    if (sttMs !== undefined) this.stage('stt', sttMs);
    this.logger.debug({ cause, text }, 'caller turn');
    const active = this.activeReply();
    if (active !== undefined) {
      if (active.sentAudio) this.interruptOurselves(active);
      else {
        active.cancel();
        this.recordHeard(active, 0);
      }
    }
    this.transcript.caller(text, true);
    this.conversation.addUser(text);
    this.startReply('llm');
  }

  // ---- replies --------------------------------------------------------------------------------------------------

  private activeReply(): Reply | undefined {
    const reply = this.reply;
    return reply !== undefined && !reply.cancelled && !reply.playedOut ? reply : undefined;
  }

  /** Starts a reply: fixed text, or the model's answer to the conversation so far. */
  private startReply(source: ReplySource | 'llm'): void {
    const reply = new Reply(`r${++this.replies}`, {
      llm: this.deps.llm,
      tts: this.deps.tts,
      out: this.out,
      logger: this.logger,
      maxAheadSamples: (this.deps.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS) * SAMPLES_PER_MS,
    });
    this.reply = reply;
    this.track(this.runReply(reply, source));
  }

  private async runReply(reply: Reply, source: ReplySource | 'llm'): Promise<void> {
    if (source === 'llm') {
      // A reply we cut with `clear` is kept as heard only once `cleared` says how much played: wait for it (bounded).
      await this.clears.settled();
      await reply.run({ kind: 'llm', messages: this.conversation.messages(), tools: this.tools });
    } else {
      await reply.run(source);
    }
    if (reply.failed !== undefined) {
      const { message, status } = describeError(reply.failed);
      this.logger.warn({ replyId: reply.id, code: reply.failed.code, status, message }, 'reply stopped on a provider error');
    }
    if (reply.cancelled) return; // the interruption recorded what was heard
    const records: ToolCallRecord[] = [];
    const farewells: Array<{ record: ToolCallRecord; send: () => void }> = [];
    for (const call of reply.toolCalls) {
      const record: ToolCallRecord = { id: call.id, name: call.name, arguments: call.arguments, result: 'pending' };
      records.push(record);
      const action = toolAction(call, this.toolOptions());
      this.logger.info({ replyId: reply.id, tool: call.name, action: action.kind }, 'tool call');
      switch (action.kind) {
        case 'dtmf':
          this.ctx.send({ type: 'dtmf', digits: action.digits });
          record.result = 'sent';
          break;
        case 'hangup':
          farewells.push({ record, send: () => this.ctx.send({ type: 'hangup', reason: action.reason.slice(0, PROTOCOL_LIMITS.maxNameChars) }) });
          break;
        case 'transfer':
          farewells.push({ record, send: () => this.ctx.send({ type: 'transfer', target: action.target }) });
          break;
        case 'consult':
          farewells.push({ record, send: () => this.ctx.send({ type: 'consult', target: action.target, whisper: action.summary }) });
          break;
        case 'invalid':
          record.result = `error: ${action.error}`;
          break;
      }
    }
    const text = this.replyText(reply);
    this.conversation.setAssistant(reply.id, text, records);
    if (reply.playedOut) this.agentLine(reply, text); // no audio to wait for
    const last = farewells.at(-1);
    if (last === undefined) return;
    // The goodbye (or "I'll put you through") plays first; the caller speaking over it cancels the hang-up.
    const played = await reply.waitPlayedOut(this.deps.options.farewellTimeoutMs);
    if (reply.cancelled || this.closed || this.ending) {
      for (const f of farewells) f.record.result = 'not done: the caller interrupted';
      return;
    }
    if (!played) this.logger.warn({ replyId: reply.id }, 'farewell did not finish playing in time; ending anyway');
    for (const f of farewells) f.record.result = f === last ? 'done' : 'skipped: only the last call-ending tool runs';
    if (last.record.name === 'end_call') this.ending = true;
    else this.transferRecord = last.record;
    last.send();
  }

  /** `interrupted` from the gateway: it has stopped our audio and says exactly how much played. */
  private gatewayInterrupted(playedMs: number): void {
    if (this.clears.crossedByInterrupt) {
      // It stopped audio of a turn we had already cut ourselves: our `clear`, which reaches it after, acknowledges it,
      // and its `cleared` tells what played. Clearing again would cut the reply that follows.
      this.logger.debug({ playedMs }, 'interrupted crossed our clear');
      return;
    }
    const reply = this.activeReply();
    if (reply !== undefined) {
      reply.cancel();
      this.recordHeard(reply, playedMs);
    }
    this.sendClear(undefined); // the gateway drops our audio until we acknowledge
  }

  /** We stop our own audio: `clear`, and the heard part once `cleared` answers. */
  private interruptOurselves(reply: Reply): void {
    reply.cancel();
    const played = reply.playedText();
    const text = played.complete && reply.textDone ? played.text : truncated(played.text);
    this.conversation.setAssistant(reply.id, text);
    this.agentLine(reply, text); // now: the caller's turn that cut it may be said next
    this.sendClear(reply);
  }

  private recordHeard(reply: Reply, playedMs: number): void {
    const heard = reply.heard(playedMs, this.msPerChar());
    const text = heard.complete && reply.textDone ? heard.text : truncated(heard.text);
    this.conversation.setAssistant(reply.id, text);
    this.agentLine(reply, text);
    this.logger.debug({ replyId: reply.id, playedMs, heard: text }, 'reply interrupted');
  }

  /** A reply's text as spoken in full, or up to where a provider error stopped it. */
  private replyText(reply: Reply): string {
    return reply.textDone && reply.failed === undefined ? reply.spokenText() : truncated(reply.spokenText());
  }

  /** The reply's transcript line, once. */
  private agentLine(reply: Reply, text: string): void {
    if (this.said.has(reply)) return;
    this.said.add(reply);
    this.transcript.agent(text);
  }

  /** `clear` (with the reply whose heard part its `cleared` tells); the gateway's turn positions start again. */
  private sendClear(cut: Reply | undefined): void {
    this.clears.send(cut);
    this.turnSamples = 0;
  }

  private toolOptions(): ToolOptions {
    return { ...this.deps.options.tools, transferTargets: this.deps.options.transferTargets };
  }

  private msPerChar(): number {
    return this.spokenChars < 20 ? DEFAULT_MS_PER_CHAR : this.spokenSamples / SAMPLES_PER_MS / this.spokenChars;
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  private stage(stage: 'stt' | 'llm' | 'tts', ms: number): void {
    if (this.closed || !Number.isFinite(ms)) return;
    this.ctx.send({ type: 'stage', stage, ms: Math.min(PROTOCOL_LIMITS.maxStageMs, Math.max(0, Math.round(ms))) });
  }

  private sttFailed(err: PipelineError): void {
    if (this.closed) return;
    this.logger.error({ code: err.code, message: err.message }, 'speech-to-text unavailable; hanging up');
    this.ctx.send({ type: 'hangup', reason: 'speech-to-text unavailable' });
    this.close();
  }

  /** Runs `task` in the background; a failure is logged, never unhandled. */
  private track(task: Promise<void>): void {
    task.catch((err: unknown) => this.logger.error({ err: describeError(err) }, 'pipeline task failed'));
  }
}
