import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeOpenAi, type ChatScript } from '../testing/fake-openai.js';
import { waitFor } from '../testing/wait.js';
import { OpenAiChat, type LlmEvent } from './openai-chat.js';
import { toolDefinitions } from './tools.js';
import { toolOptions } from '../options.js';

describe('OpenAiChat against a fake chat completions server (SSE)', () => {
  let fake: FakeOpenAi | undefined;
  afterEach(async () => fake?.close());

  async function setup(script: ChatScript, key?: string): Promise<{ chat: OpenAiChat; fake: FakeOpenAi }> {
    fake = await FakeOpenAi.start({ chat: () => script });
    const client = new OpenAI({ apiKey: key ?? fake.apiKey, baseURL: fake.url, maxRetries: 0, organization: null, project: null });
    return { chat: new OpenAiChat(client, { model: 'gpt-4o-mini', maxTokens: 200, timeoutMs: 5_000, temperature: 0.3 }), fake };
  }

  async function collect(stream: AsyncGenerator<LlmEvent>): Promise<LlmEvent[]> {
    const out: LlmEvent[] = [];
    for await (const e of stream) out.push(e);
    return out;
  }

  it('streams text deltas after a first_token event, and sends the request the API documents', async () => {
    const { chat, fake } = await setup({ text: 'We open at nine. See you soon.' });
    const tools = toolDefinitions({ ...toolOptions.parse({}), transferTargets: {} });
    const events = await collect(chat.stream([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hours?' }], tools, new AbortController().signal));
    expect(events[0]).toEqual({ type: 'first_token' });
    expect(events.slice(1).map((e) => (e.type === 'text' ? e.delta : '?')).join('')).toBe('We open at nine. See you soon.');
    const body = fake.chatRequests[0]?.body;
    expect(body).toMatchObject({ model: 'gpt-4o-mini', stream: true, max_completion_tokens: 200, temperature: 0.3, parallel_tool_calls: false });
    expect(body?.['tools']).toEqual(tools);
    expect(fake.chatRequests[0]?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
  });

  it('assembles streamed tool calls and yields them at the end', async () => {
    const { chat } = await setup({ text: 'Goodbye!', toolCalls: [{ name: 'end_call', arguments: { reason: 'done' } }, { name: 'send_dtmf', arguments: { digits: '42' } }] });
    const events = await collect(chat.stream([{ role: 'user', content: 'bye' }], [], new AbortController().signal));
    expect(events.filter((e) => e.type === 'tool_call')).toEqual([
      { type: 'tool_call', call: { id: 'call_fake_0', name: 'end_call', arguments: '{"reason":"done"}' } },
      { type: 'tool_call', call: { id: 'call_fake_1', name: 'send_dtmf', arguments: '{"digits":"42"}' } },
    ]);
  });

  it('aborting closes the HTTP stream at once and ends the generator quietly', async () => {
    const { chat, fake } = await setup({ text: 'One two three four five six.', stallAfterChunks: 2 });
    const abort = new AbortController();
    const events: LlmEvent[] = [];
    const done = (async () => {
      for await (const e of chat.stream([{ role: 'user', content: 'count' }], [], abort.signal)) events.push(e);
    })();
    await waitFor(() => events.filter((e) => e.type === 'text').length === 2, 3_000);
    abort.abort();
    await done;
    await waitFor(() => fake.chatRequests[0]?.closedEarlyMs !== undefined, 3_000);
    expect(fake.chatRequests[0]?.endedMs).toBeUndefined();
  });

  it('an HTTP error becomes a PipelineError with the status', async () => {
    const { chat } = await setup({ status: 500 });
    await expect(collect(chat.stream([{ role: 'user', content: 'x' }], [], new AbortController().signal))).rejects.toMatchObject({ code: 'PIPELINE_LLM_FAILED', status: 500 });
  });

  it('a wrong key is a 401 PipelineError', async () => {
    const { chat } = await setup({ text: 'x' }, 'sk-wrong');
    await expect(collect(chat.stream([{ role: 'user', content: 'x' }], [], new AbortController().signal))).rejects.toMatchObject({ code: 'PIPELINE_LLM_FAILED', status: 401 });
  });
});
