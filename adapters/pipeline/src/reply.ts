/**
 * One reply of the agent: text (the greeting) or a streamed LLM answer → sentences → text-to-speech, one sentence at a
 * time and in order → the caller, with a mark after each sentence's audio. The LLM keeps streaming while earlier
 * sentences are being spoken (a bounded queue between them), so the first audio starts before the reply is complete.
 *
 * `cancel()` stops everything at once: the LLM request and the current TTS request are aborted (one AbortSignal into
 * both SDK calls) and queued sentences are dropped. A provider error stops the reply the same way (nothing more is
 * said) and is kept in `failed`; audio already sent plays out.
 */
import type { AdapterLogger } from '@patchbay/adapter-kit';
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { BoundedQueue } from './bounded-queue.js';
import { PipelineError, PipelineErrorCode, describeError } from './errors.js';
import { heardText, type Heard, type SpokenSentence } from './heard.js';
import type { OpenAiChat, ToolCallRequest } from './llm/openai-chat.js';
import { SentenceSplitter } from './sentences.js';
import type { TextToSpeech } from './tts/text-to-speech.js';
import { wakeAll, wakeOrTimeout } from './waiters.js';

export interface ReplyOutput {
  /** Sends audio to the caller; returns its stream position (samples since the agent's last `clear`). */
  play(pcm: Int16Array): number;
  mark(name: string): void;
  stage(stage: 'llm' | 'tts', ms: number): void;
  /** A sentence's audio was completely sent: `samples` for `chars` characters (the call's speaking rate). */
  spoken(chars: number, samples: number): void;
}

export type ReplySource =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'llm'; readonly messages: ChatCompletionMessageParam[]; readonly tools: readonly ChatCompletionFunctionTool[] };

export interface ReplyDeps {
  readonly llm: OpenAiChat;
  readonly tts: TextToSpeech;
  readonly out: ReplyOutput;
  readonly logger: AdapterLogger;
  /** Audio sent ahead of what has played, at most: the next sentence waits for marks beyond it. */
  readonly maxAheadSamples: number;
}

interface Sentence extends SpokenSentence {
  readonly index: number;
  readonly mark: string;
  startSamples: number;
  sentSamples: number;
  complete: boolean;
  /** Its mark came back `played`. */
  played: boolean;
  /** Its mark came back, `played` or `cleared`: its audio no longer waits in the gateway. */
  settled: boolean;
}

/** Sentences waiting for TTS (the LLM pauses when it is full), and sentences in one reply. */
const QUEUED_SENTENCES = 8;
const MAX_SENTENCES = 64;


export class Reply {
  readonly sentences: Sentence[] = [];
  readonly toolCalls: ToolCallRequest[] = [];
  /** The reply's whole text was produced (LLM stream ended normally, or fixed text). */
  textDone = false;
  /** `run()` has returned. */
  finished = false;
  cancelled = false;
  failed: PipelineError | undefined;

  private readonly abort = new AbortController();
  private queue: BoundedQueue<Sentence> | undefined;
  private readonly playedWaiters = new Set<() => void>();
  private readonly markWaiters = new Set<() => void>();

  constructor(
    readonly id: string,
    private readonly deps: ReplyDeps,
  ) {}

  /** Some of its audio was sent to the caller. */
  get sentAudio(): boolean {
    return this.sentences.some((s) => s.sentSamples > 0);
  }

  /** Finished, and every sentence that was sent has been played. */
  get playedOut(): boolean {
    return this.finished && this.sentences.every((s) => s.sentSamples === 0 || s.played);
  }

  /** The sentences spoken in full (their audio completely sent), joined. */
  spokenText(): string {
    return this.sentences.filter((s) => s.complete && s.sentSamples > 0).map((s) => s.text).join(' ');
  }

  /** The sentences whose marks came back `played` (what was surely heard), joined. */
  playedText(): Heard {
    const played = this.sentences.filter((s) => s.played);
    return { text: played.map((s) => s.text).join(' '), complete: played.length === this.sentences.length };
  }

  /** What the caller heard when `playedMs` of the stream had played (see heard.ts). */
  heard(playedMs: number, msPerChar: number): Heard {
    return heardText(this.sentences, playedMs, msPerChar);
  }

  async run(source: ReplySource): Promise<void> {
    const queue = new BoundedQueue<Sentence>(QUEUED_SENTENCES);
    this.queue = queue;
    try {
      await Promise.all([this.produce(source, queue), this.consume(queue)]);
    } finally {
      this.finished = true;
      this.notifyPlayed();
    }
  }

  /** Stops the reply now: LLM and TTS requests aborted, queued sentences dropped. Idempotent. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stop();
    wakeAll(this.playedWaiters);
  }

  /** Audio sent whose mark has not come back yet, in samples. */
  get unplayedSamples(): number {
    return this.sentences.reduce((n, s) => n + (s.settled ? 0 : s.sentSamples), 0);
  }

  /** A mark came back. */
  onMark(name: string, status: 'played' | 'cleared'): void {
    const sentence = this.sentences.find((s) => s.mark === name);
    if (sentence === undefined) return;
    sentence.settled = true;
    if (status === 'played') sentence.played = true;
    wakeAll(this.markWaiters);
    this.notifyPlayed();
  }

  /** Resolves true once all its audio has played, false if cancelled first or after `timeoutMs`. */
  async waitPlayedOut(timeoutMs: number): Promise<boolean> {
    if (this.playedOut) return true;
    if (this.cancelled) return false;
    await wakeOrTimeout(this.playedWaiters, timeoutMs);
    return this.playedOut && !this.cancelled;
  }

  private stop(): void {
    this.abort.abort();
    this.queue?.abort();
    wakeAll(this.markWaiters);
  }

  private fail(error: PipelineError): void {
    if (this.cancelled || this.failed !== undefined) return;
    this.failed = error;
    this.stop();
  }

  private notifyPlayed(): void {
    if (!this.playedOut) return;
    wakeAll(this.playedWaiters);
  }

  private async produce(source: ReplySource, queue: BoundedQueue<Sentence>): Promise<void> {
    try {
      const splitter = new SentenceSplitter();
      if (source.kind === 'text') {
        for (const text of [...splitter.push(source.text), ...splitter.flush()]) if (!(await this.enqueue(queue, text))) return;
        this.textDone = true;
        return;
      }
      const requested = performance.now();
      for await (const event of this.deps.llm.stream(source.messages, source.tools, this.abort.signal)) {
        if (event.type === 'first_token') this.deps.out.stage('llm', performance.now() - requested);
        else if (event.type === 'tool_call') this.toolCalls.push(event.call);
        else for (const text of splitter.push(event.delta)) if (!(await this.enqueue(queue, text))) return;
      }
      if (this.abort.signal.aborted) return;
      for (const text of splitter.flush()) if (!(await this.enqueue(queue, text))) return;
      this.textDone = true;
    } catch (err) {
      this.fail(err instanceof PipelineError ? err : new PipelineError(PipelineErrorCode.LlmFailed, describeError(err).message, { cause: err }));
    } finally {
      queue.close();
    }
  }

  private async enqueue(queue: BoundedQueue<Sentence>, text: string): Promise<boolean> {
    if (this.sentences.length >= MAX_SENTENCES) {
      this.deps.logger.warn({ replyId: this.id, maxSentences: MAX_SENTENCES }, 'reply too long; the rest is not spoken');
      this.stop();
      return false;
    }
    const index = this.sentences.length;
    const sentence: Sentence = { index, text, mark: `${this.id}.${index}`, startSamples: 0, sentSamples: 0, complete: false, played: false, settled: false };
    this.sentences.push(sentence);
    return queue.push(sentence);
  }

  private async consume(queue: BoundedQueue<Sentence>): Promise<void> {
    for (let sentence = await queue.next(); sentence !== undefined; sentence = await queue.next()) {
      if (this.unplayedSamples > this.deps.maxAheadSamples) this.deps.logger.debug({ replyId: this.id, unplayedMs: this.unplayedSamples / 24 }, 'reply waits for playout');
      while (!this.abort.signal.aborted && this.unplayedSamples > this.deps.maxAheadSamples) {
        await new Promise<void>((resolve) => this.markWaiters.add(resolve));
      }
      if (this.abort.signal.aborted) return;
      try {
        await this.speak(sentence);
      } catch (err) {
        this.fail(err instanceof PipelineError ? err : new PipelineError(PipelineErrorCode.TtsFailed, describeError(err).message, { cause: err }));
      }
    }
  }

  private async speak(sentence: Sentence): Promise<void> {
    const text = speakable(sentence.text);
    if (text === '') {
      sentence.complete = true;
      return;
    }
    const requested = performance.now();
    try {
      for await (const pcm of this.deps.tts.synthesize(text, this.abort.signal)) {
        if (this.abort.signal.aborted) return;
        if (sentence.sentSamples === 0) {
          if (sentence.index === 0) this.deps.out.stage('tts', performance.now() - requested);
          sentence.startSamples = this.deps.out.play(pcm);
        } else {
          this.deps.out.play(pcm);
        }
        sentence.sentSamples += pcm.length;
      }
      if (!this.abort.signal.aborted) {
        sentence.complete = true;
        if (sentence.sentSamples > 0) this.deps.out.spoken(sentence.text.length, sentence.sentSamples);
      }
    } finally {
      // Audio that went out plays even when the reply stops on an error: its mark says when it did.
      if (!this.cancelled && sentence.sentSamples > 0) this.deps.out.mark(sentence.mark);
    }
  }
}

/** The text as a TTS should read it: markdown emphasis, headings and code marks removed. */
export function speakable(text: string): string {
  return text.replace(/[*_`#~]+/g, '').replace(/\s+/g, ' ').trim();
}
