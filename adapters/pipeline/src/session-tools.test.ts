/** Call-control tools the model calls through streamed `tool_calls`: hang-up, transfer, DTMF. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatScript } from './testing/fake-openai.js';
import { harness, type Harness } from './testing/harness.js';
import { waitFor } from './testing/wait.js';

describe('pipeline session: tools', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  async function turn(script: ChatScript, options: Record<string, unknown> = {}, autoPlay = false): Promise<Harness> {
    h = await harness({
      options,
      autoPlay,
      deepgram: { transcripts: ['Please do it.', 'Did it work?'] },
      openai: { chat: (_req, i) => (i === 0 ? script : { text: 'Yes.' }) },
    });
    h.utter();
    await h.chatRequests(1);
    return h;
  }

  it('end_call: the goodbye plays first; hangup goes out only once its mark came back played', async () => {
    const { call } = await turn({ text: 'Goodbye, and thanks for calling!', toolCalls: [{ name: 'end_call', arguments: { reason: 'caller said goodbye' } }] });
    await waitFor(() => call.sentOf('mark').length === 1, 5_000);
    await waitFor(() => h?.logger.lines.some((l) => l.msg === 'tool call') === true, 3_000); // the session now waits for the mark
    expect(call.sentOf('hangup')).toEqual([]);
    call.playAll();
    await waitFor(() => call.sentOf('hangup').length === 1, 3_000);
    expect(call.sentOf('hangup')).toEqual([{ type: 'hangup', reason: 'caller said goodbye' }]);
    const markPlayed = call.delivered.find((d) => d.value.type === 'mark' && d.value.status === 'played')?.atMs ?? Infinity;
    const hangupAt = call.sent.find((s) => s.value.type === 'hangup')?.atMs ?? 0;
    expect(hangupAt).toBeGreaterThanOrEqual(markPlayed);
  });

  it('end_call without words hangs up at once; the wait for a goodbye is bounded by farewellTimeoutMs', async () => {
    const { call } = await turn({ toolCalls: [{ name: 'end_call', arguments: {} }] });
    await waitFor(() => call.sentOf('hangup').length === 1, 3_000);
    expect(call.sentOf('hangup')).toEqual([{ type: 'hangup', reason: 'goodbye' }]);
    await h?.close();

    const { call: second, logger } = await turn({ text: 'Bye!', toolCalls: [{ name: 'end_call', arguments: {} }] }, { farewellTimeoutMs: 100 });
    await waitFor(() => second.sentOf('hangup').length === 1, 3_000); // never played: the bound ends it
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('farewell'))).toBe(true);
  });

  it('the caller speaking over the goodbye cancels the hang-up, and the model learns it did not happen', async () => {
    const { call, openai } = await turn({ text: 'Goodbye then!', toolCalls: [{ name: 'end_call', arguments: {} }] });
    await waitFor(() => call.sentOf('mark').length === 1, 5_000);
    call.interrupt();
    h?.utter();
    await h?.chatRequests(2);
    call.playAll();
    expect(call.sentOf('hangup')).toEqual([]);
    const messages = openai.messagesOf(1);
    expect(messages.at(-3)).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ id: 'call_fake_0', type: 'function', function: { name: 'end_call', arguments: '{}' } }] });
    expect(messages.at(-2)).toEqual({ role: 'tool', tool_call_id: 'call_fake_0', content: 'not done: the caller interrupted' });
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'Did it work?' });
  });

  it('transfer_call to an allowed target: transfer after the announcement played', async () => {
    const { call } = await turn(
      { text: 'Putting you through.', toolCalls: [{ name: 'transfer_call', arguments: { target: 'front desk' } }] },
      { transferTargets: { sales: '+15550100099', 'front desk': 'sip:desk@pbx.example' } },
      true,
    );
    await waitFor(() => call.sentOf('transfer').length === 1, 5_000);
    expect(call.sentOf('transfer')).toEqual([{ type: 'transfer', target: 'sip:desk@pbx.example' }]);
    expect(h?.openai.chatRequests[0]?.body['tools']).toHaveLength(4); // end_call, transfer_call, warm_transfer, send_dtmf
  });

  it('warm_transfer: consult after "please hold" played; on answered the summary is spoken, then bridge once it played', async () => {
    const { call, openai } = await turn(
      { text: 'Please hold.', toolCalls: [{ name: 'warm_transfer', arguments: { target: 'sales', summary: 'Anna Lee, a damaged parcel.' } }] },
      { transferTargets: { sales: '+15550100099' } },
      true,
    );
    await waitFor(() => call.sentOf('consult').length === 1, 5_000);
    expect(call.sentOf('consult')).toEqual([{ type: 'consult', target: '+15550100099', whisper: 'Anna Lee, a damaged parcel.' }]);
    const before = openai.speechRequests.length;
    call.deliver({ type: 'consult', status: 'answered', target: '+15550100099', whisper: 'Anna Lee, a damaged parcel.' });
    await waitFor(() => call.sentOf('bridge').length === 1, 5_000);
    expect(openai.speechRequests.slice(before).map((r) => r.body['input'])).toEqual(['Anna Lee, a damaged parcel.']);
    const spokeAt = call.sent.filter((x) => x.value.type === 'mark').at(-1)?.atMs ?? Infinity;
    expect(call.sent.find((x) => x.value.type === 'bridge')?.atMs ?? 0).toBeGreaterThanOrEqual(spokeAt);
  });

  it('warm_transfer that fails: the model learns the person was not reached', async () => {
    const { call, openai } = await turn(
      { text: 'Please hold.', toolCalls: [{ name: 'warm_transfer', arguments: { target: 'sales', summary: 'Anna Lee.' } }] },
      { transferTargets: { sales: '+15550100099' } },
      true,
    );
    await waitFor(() => call.sentOf('consult').length === 1, 5_000);
    call.deliver({ type: 'consult', status: 'failed', target: '+15550100099', reason: 'no-answer' });
    h?.utter();
    await h?.chatRequests(2);
    expect(openai.messagesOf(1)).toContainEqual({ role: 'tool', tool_call_id: 'call_fake_0', content: 'failed: the person was not reached (failed: no-answer); the call goes on' });
    expect(call.sentOf('bridge')).toEqual([]);
  });

  it('transfer_call elsewhere is refused, and the model is told why', async () => {
    const { call, openai } = await turn(
      { toolCalls: [{ name: 'transfer_call', arguments: { target: '+19005550100' } }] },
      { transferTargets: { sales: '+15550100099' } },
      true,
    );
    await waitFor(() => h?.logger.lines.some((l) => l.msg === 'tool call' && (l.obj as { action?: string }).action === 'invalid') === true, 3_000);
    h?.utter();
    await h?.chatRequests(2);
    expect(call.sentOf('transfer')).toEqual([]);
    expect(openai.messagesOf(1).find((m) => m.role === 'tool')).toEqual({ role: 'tool', tool_call_id: 'call_fake_0', content: 'error: target must be one of: sales' });
  });

  it('send_dtmf: digits go out at once (they do not wait for audio), and the next request carries the call and its result', async () => {
    const { call, openai } = await turn({ text: 'Pressing one.', toolCalls: [{ name: 'send_dtmf', arguments: { digits: '1#' } }] });
    await waitFor(() => call.sentOf('dtmf').length === 1, 5_000);
    expect(call.sentOf('dtmf')).toEqual([{ type: 'dtmf', digits: '1#' }]);
    call.playAll();
    h?.utter();
    await h?.chatRequests(2);
    expect(openai.messagesOf(1).slice(2)).toEqual([
      { role: 'assistant', content: 'Pressing one.', tool_calls: [{ id: 'call_fake_0', type: 'function', function: { name: 'send_dtmf', arguments: '{"digits":"1#"}' } }] },
      { role: 'tool', tool_call_id: 'call_fake_0', content: 'sent' },
      { role: 'user', content: 'Did it work?' },
    ]);
  });
});
