/**
 * A fake OpenAI API on 127.0.0.1 speaking the documented wire protocol, for tests with the real `openai` SDK pointed
 * at `url` (it includes `/v1`):
 *
 * - `POST /v1/chat/completions` with `stream: true`: server-sent events, `data: {chat.completion.chunk}` with the
 *   scripted text one word per chunk, tool calls as `delta.tool_calls` (name first, arguments in two pieces), a final
 *   chunk with `finish_reason`, then `data: [DONE]`;
 * - `POST /v1/audio/speech` with `response_format: pcm`: raw PCM16 LE 24 kHz, a tone of `msPerChar` ms per character
 *   of `input`, streamed in chunks.
 *
 * Every request is recorded with its times (received, first byte, end, or closed early by the client).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finish, readBody, record, sendJson, streamSpeech, watch, write, type RecordedRequest, type SpeechBehaviour } from './http-util.js';

export interface ChatScript {
  /** Streamed as content deltas, a word (with its leading space) per chunk. */
  readonly text?: string;
  readonly toolCalls?: ReadonlyArray<{ readonly name: string; readonly arguments: Record<string, unknown> }>;
  /** Between chunks (default 5 ms). */
  readonly chunkDelayMs?: number;
  /** After this many text chunks, send nothing more and keep the connection open (a model still thinking). */
  readonly stallAfterChunks?: number;
  /** Answer with this HTTP status and an OpenAI error body instead. */
  readonly status?: number;
}

export interface FakeOpenAiOptions {
  readonly apiKey?: string;
  /** The script of the `index`-th chat request (0-based); default: a short fixed answer. */
  readonly chat?: (request: RecordedRequest, index: number) => ChatScript;
  readonly speech?: SpeechBehaviour;
}

export class FakeOpenAi {
  readonly chatRequests: RecordedRequest[] = [];
  readonly speechRequests: RecordedRequest[] = [];
  readonly apiKey: string;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    private readonly options: FakeOpenAiOptions,
  ) {
    this.apiKey = options.apiKey ?? 'sk-test';
  }

  static async start(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
    let fake: FakeOpenAi | undefined;
    const server = createServer((req, res) => {
      if (fake === undefined) return;
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
        else res.destroy();
      });
    });
    fake = new FakeOpenAi(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Base URL for the SDK (`/v1` included). */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** The chat request's `messages`, as sent. */
  messagesOf(index: number): Array<{ role: string; content: unknown; tool_calls?: unknown; tool_call_id?: string }> {
    const messages = this.chatRequests[index]?.body['messages'];
    return Array.isArray(messages) ? (messages as Array<{ role: string; content: unknown }>) : [];
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const rec = record(req, body);
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      sendJson(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
      return;
    }
    if (req.method === 'POST' && rec.path === '/v1/chat/completions') {
      const index = this.chatRequests.length;
      this.chatRequests.push(rec);
      this.chat(res, rec, this.options.chat?.(rec, index) ?? { text: 'Hello from the fake model.' });
      return;
    }
    if (req.method === 'POST' && rec.path === '/v1/audio/speech') {
      this.speechRequests.push(rec);
      const behaviour = this.options.speech ?? {};
      if (behaviour.status !== undefined) return sendJson(res, behaviour.status, { error: { message: 'fake speech failure', type: 'server_error' } });
      if (body['response_format'] !== 'pcm') return sendJson(res, 400, { error: { message: 'this fake speaks pcm only', type: 'invalid_request_error' } });
      if (typeof body['input'] !== 'string' || typeof body['voice'] !== 'string') return sendJson(res, 400, { error: { message: 'input and voice are required', type: 'invalid_request_error' } });
      streamSpeech(res, rec, body['input'], behaviour);
      return;
    }
    sendJson(res, 404, { error: { message: `no route ${req.method ?? ''} ${rec.path}`, type: 'invalid_request_error' } });
  }

  private chat(res: ServerResponse, rec: RecordedRequest, script: ChatScript): void {
    if (script.status !== undefined) {
      sendJson(res, script.status, { error: { message: 'fake chat failure', type: 'server_error' } });
      return;
    }
    if (rec.body['stream'] !== true) {
      sendJson(res, 400, { error: { message: 'this fake streams only', type: 'invalid_request_error' } });
      return;
    }
    const model = typeof rec.body['model'] === 'string' ? rec.body['model'] : 'fake';
    const id = `chatcmpl-fake-${this.chatRequests.length}`;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_767_225_600, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const events: string[] = [chunk({ role: 'assistant', content: '' })];
    const words = script.text?.match(/\s*\S+/g) ?? [];
    for (const w of words) events.push(chunk({ content: w }));
    const stallAt = script.stallAfterChunks === undefined ? undefined : 1 + script.stallAfterChunks;
    (script.toolCalls ?? []).forEach((call, index) => {
      const args = JSON.stringify(call.arguments);
      const half = Math.floor(args.length / 2);
      events.push(chunk({ tool_calls: [{ index, id: `call_fake_${index}`, type: 'function', function: { name: call.name, arguments: '' } }] }));
      events.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] }));
      events.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }));
    });
    events.push(chunk({}, (script.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop'));
    events.push('data: [DONE]\n\n');

    let timer: NodeJS.Timeout | undefined;
    watch(res, rec, () => {
      if (timer !== undefined) this.timers.delete(timer);
      clearTimeout(timer);
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (i === stallAt) return; // hold the connection open until the client closes it
      const event = events[i++];
      if (event === undefined) {
        finish(res, rec);
        return;
      }
      write(res, rec, event);
      if (timer !== undefined) this.timers.delete(timer);
      timer = setTimeout(next, script.chunkDelayMs ?? 5);
      this.timers.add(timer);
    };
    next();
  }
}
