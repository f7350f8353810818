/**
 * `demo`: a tiny IVR that exercises the whole protocol. It greets, offers "1 for an echo test, 2 for the time",
 * uses a mark after each prompt to learn when the caller has heard it, `clear`s a prompt a digit interrupts, and
 * sends each prompt's text as a `transcript` line (what it starts to say, for the call's record).
 *
 *   menu ──1──▶ echo-intro ──(mark played)──▶ echo ──*──▶ menu
 *   menu ──2──▶ time + menu;   menu ──other──▶ "sorry" + menu;   echo-intro ──*──▶ menu
 */

import type { Agent, AgentContext, AgentSession } from '../agent.js';
import type { GatewayMessage } from '../protocol/messages.js';
import { SAMPLES_PER_MS } from '../protocol/messages.js';
import { transcriptMessage } from '../protocol/transcript.js';
import { loadDemoPrompts, promptText, timeClips } from './prompts.js';
import type { DemoPrompts, PromptName } from './prompts.js';

export interface DemoAgentOptions {
  /** Default: `loadDemoPrompts()`, read on the first call. */
  prompts?: DemoPrompts;
  /** Clock for "the time is"; default the wall clock. */
  now?: () => Date;
}

/** Silence between word clips, and between a sentence and the menu. */
export const WORD_GAP_MS = 80;
export const SENTENCE_GAP_MS = 300;

type Mode = 'menu' | 'echo-intro' | 'echo';

export function createDemoAgent(options: DemoAgentOptions = {}): Agent {
  const now = options.now ?? (() => new Date());
  return {
    name: 'demo',
    create(ctx: AgentContext): AgentSession {
      return new DemoSession(ctx, options.prompts ?? loadDemoPrompts(), now);
    },
  };
}

export const demoAgent: Agent = createDemoAgent();

class DemoSession implements AgentSession {
  private mode: Mode = 'menu';
  /** Name of the mark that follows the prompt now playing, until it comes back. */
  private playing: string | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly ctx: AgentContext,
    private readonly prompts: DemoPrompts,
    private readonly now: () => Date,
  ) {
    this.say([['welcome'], ['menu']]);
  }

  onAudio(frame: Int16Array): void {
    if (this.live() && this.mode === 'echo') this.ctx.sendAudio(frame.slice());
  }

  onMessage(msg: GatewayMessage): void {
    if (!this.live()) return;
    switch (msg.type) {
      case 'mark':
        if (msg.name !== this.playing) return;
        this.playing = undefined;
        if (msg.status === 'played' && this.mode === 'echo-intro') this.mode = 'echo';
        return;
      case 'dtmf':
        this.onDigit(msg.digit);
        return;
      case 'start':
      case 'cleared':
      case 'stop':
      case 'error':
        return;
    }
  }

  close(): void {
    this.closed = true;
  }

  private onDigit(digit: string): void {
    if (this.mode === 'menu') {
      this.interrupt(false);
      if (digit === '1') {
        this.mode = 'echo-intro';
        this.say([['echo-intro']]);
      } else if (digit === '2') {
        this.say([timeClips(this.now()), ['menu']]);
      } else {
        this.say([['sorry'], ['menu']]);
      }
      return;
    }
    if (digit === '*') {
      // Echoed audio may still be buffered: flush it too.
      this.interrupt(this.mode === 'echo');
      this.mode = 'menu';
      this.say([['menu']]);
    }
  }

  /** Sends `clear` when a prompt is playing (or `force`), so the next prompt starts at once. */
  private interrupt(force: boolean): void {
    if (this.playing === undefined && !force) return;
    this.playing = undefined;
    this.ctx.send({ type: 'clear' });
  }

  /** Plays sentences (each a list of word clips) as one buffer, then a mark to learn when it has been heard. */
  private say(sentences: PromptName[][]): void {
    const line = transcriptMessage('agent', promptText(sentences), true);
    if (line !== undefined) this.ctx.send(line);
    this.ctx.sendAudio(this.render(sentences));
    const name = `prompt-${++this.seq}`;
    this.ctx.send({ type: 'mark', name });
    this.playing = name;
  }

  private render(sentences: PromptName[][]): Int16Array {
    const parts: Int16Array[] = [];
    sentences.forEach((words, i) => {
      if (i > 0) parts.push(silence(SENTENCE_GAP_MS));
      words.forEach((word, j) => {
        if (j > 0) parts.push(silence(WORD_GAP_MS));
        parts.push(this.prompts[word]);
      });
    });
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  private live(): boolean {
    return !this.closed && !this.ctx.signal.aborted;
  }
}

function silence(ms: number): Int16Array {
  return new Int16Array(ms * SAMPLES_PER_MS);
}
