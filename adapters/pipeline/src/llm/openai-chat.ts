/**
 * OpenAI chat completions, streamed (`POST /v1/chat/completions` with `stream: true`, server-sent events): text deltas
 * as they come, and function tool calls once their streamed arguments are complete.
 */
import type OpenAI from 'openai';
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { PipelineError, PipelineErrorCode, describeError, isAbort } from '../errors.js';

export interface OpenAiChatOptions {
  readonly model: string;
  readonly temperature?: number | undefined;
  readonly maxTokens: number;
  readonly timeoutMs: number;
}

export interface ToolCallRequest {
  readonly id: string;
  readonly name: string;
  /** The arguments as the model wrote them (JSON text, unparsed). */
  readonly arguments: string;
}

export type LlmEvent =
  /** The first chunk with content or a tool call arrived (the "first token" of the `llm` stage). */
  | { readonly type: 'first_token' }
  | { readonly type: 'text'; readonly delta: string }
  | { readonly type: 'tool_call'; readonly call: ToolCallRequest };

/** Tool calls kept from one reply, and the longest arguments text kept per call. */
const MAX_TOOL_CALLS = 8;
const MAX_ARGUMENT_CHARS = 4_096;

export class OpenAiChat {
  constructor(
    private readonly client: OpenAI,
    private readonly options: OpenAiChatOptions,
  ) {}

  /**
   * Streams one reply. Ends quietly when `signal` aborts (the HTTP request is cancelled at once); throws
   * PipelineError (LLM_FAILED) on an HTTP or stream error.
   */
  async *stream(messages: ChatCompletionMessageParam[], tools: readonly ChatCompletionFunctionTool[], signal: AbortSignal): AsyncGenerator<LlmEvent, void, undefined> {
    const { model, temperature, maxTokens, timeoutMs } = this.options;
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let first = true;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model,
          messages,
          stream: true,
          max_completion_tokens: maxTokens,
          ...(temperature === undefined ? {} : { temperature }),
          ...(tools.length === 0 ? {} : { tools: [...tools], parallel_tool_calls: false }),
        },
        { signal, timeout: timeoutMs, maxRetries: 0 },
      );
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta;
        if (delta === undefined) continue;
        const content = delta.content ?? '';
        const toolCalls = delta.tool_calls ?? [];
        if (first && (content !== '' || toolCalls.length > 0)) {
          first = false;
          yield { type: 'first_token' };
        }
        if (content !== '') yield { type: 'text', delta: content };
        for (const part of toolCalls) {
          let call = calls.get(part.index);
          if (call === undefined) {
            if (calls.size >= MAX_TOOL_CALLS) continue;
            call = { id: '', name: '', arguments: '' };
            calls.set(part.index, call);
          }
          if (part.id !== undefined) call.id = part.id;
          if (part.function?.name !== undefined) call.name += part.function.name;
          if (part.function?.arguments !== undefined && call.arguments.length < MAX_ARGUMENT_CHARS) call.arguments += part.function.arguments;
        }
      }
    } catch (err) {
      if (isAbort(err, signal)) return;
      const { message, status } = describeError(err);
      throw new PipelineError(PipelineErrorCode.LlmFailed, `openai chat: ${message}`, status === undefined ? { cause: err } : { cause: err, status });
    }
    if (signal.aborted) return;
    const ordered = [...calls.entries()].sort(([a], [b]) => a - b);
    for (const [index, call] of ordered) {
      if (call.name === '') continue;
      yield { type: 'tool_call', call: { id: call.id === '' ? `call_${index}` : call.id, name: call.name, arguments: call.arguments } };
    }
  }
}
