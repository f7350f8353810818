/**
 * The conversation history of one call, as the chat model sees it: the system prompt, the caller's turns, and of the
 * agent's replies only what the caller heard. A reply's entry is updated in place when an interruption tells how much
 * of it played; an entry with no heard text and no tool calls disappears, and the caller turns on either side of it
 * become one user message (the caller went on talking before hearing anything).
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

export interface ToolCallRecord {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
  /** What the tool did, as the model reads it in the `tool` message. */
  result: string;
}

type Entry = { readonly role: 'user'; text: string } | { readonly role: 'assistant'; readonly replyId: string; text: string; toolCalls: ToolCallRecord[] };

export class Conversation {
  private entries: Entry[] = [];

  constructor(
    private readonly instructions: string,
    /** Entries kept (oldest dropped first). */
    private readonly maxEntries: number,
  ) {}

  /** A caller turn. */
  addUser(text: string): void {
    this.entries.push({ role: 'user', text });
    this.trim();
  }

  /** Sets what the caller heard of reply `replyId` (creating its entry at the end the first time). */
  setAssistant(replyId: string, text: string, toolCalls?: ToolCallRecord[]): void {
    const entry = this.assistant(replyId);
    if (entry !== undefined) {
      entry.text = text;
      if (toolCalls !== undefined) entry.toolCalls = toolCalls;
      return;
    }
    this.entries.push({ role: 'assistant', replyId, text, toolCalls: toolCalls ?? [] });
    this.trim();
  }

  /** The text recorded for reply `replyId`, if it has an entry. */
  assistantText(replyId: string): string | undefined {
    return this.assistant(replyId)?.text;
  }

  /** The chat completions `messages`: system prompt first, empty replies left out, adjacent user turns joined. */
  messages(): ChatCompletionMessageParam[] {
    const out: ChatCompletionMessageParam[] = [{ role: 'system', content: this.instructions }];
    let pendingUser: string[] = [];
    const flushUser = (): void => {
      if (pendingUser.length > 0) out.push({ role: 'user', content: pendingUser.join(' ') });
      pendingUser = [];
    };
    for (const entry of this.entries) {
      if (entry.role === 'user') {
        pendingUser.push(entry.text);
        continue;
      }
      if (entry.text === '' && entry.toolCalls.length === 0) continue;
      flushUser();
      if (entry.toolCalls.length === 0) {
        out.push({ role: 'assistant', content: entry.text });
        continue;
      }
      out.push({
        role: 'assistant',
        content: entry.text === '' ? null : entry.text,
        tool_calls: entry.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
      });
      for (const c of entry.toolCalls) out.push({ role: 'tool', tool_call_id: c.id, content: c.result });
    }
    flushUser();
    return out;
  }

  private assistant(replyId: string): (Entry & { role: 'assistant' }) | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e?.role === 'assistant' && e.replyId === replyId) return e;
    }
    return undefined;
  }

  private trim(): void {
    if (this.entries.length > this.maxEntries) this.entries = this.entries.slice(this.entries.length - this.maxEntries);
  }
}
