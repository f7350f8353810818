/**
 * Transcript lines of the pipeline against fake Deepgram and OpenAI servers (the real SDKs): caller turns from
 * Deepgram's finals, replies as spoken once played, replies cut by barge-in as heard, in the order said.
 */
import type { TranscriptMessage } from '@patchbay/agents';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './testing/harness.js';
import { waitFor } from './testing/wait.js';

const FIRST = 'Our opening hours are nine to five.';
const SECOND = 'We are closed on Sundays and on public holidays, sadly.';
const ANSWER = `${FIRST} ${SECOND} Third sentence never comes.`;
const STALL_AFTER = FIRST.split(' ').length + SECOND.split(' ').length + 1;

const line = (role: 'caller' | 'agent', text: string, final = true): TranscriptMessage => ({ type: 'transcript', role, text, final });

async function lines(h: Harness, count: number, timeoutMs = 5_000): Promise<TranscriptMessage[]> {
  await waitFor(() => h.call.sentOf('transcript').length >= count, timeoutMs, () => JSON.stringify(h.call.sentOf('transcript')));
  return h.call.sentOf('transcript');
}

describe('pipeline session: transcript lines', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('a scripted conversation: greeting, caller turns and replies, each reply once it has played, in the order said', async () => {
    h = await harness({
      autoPlay: false,
      options: { greeting: 'Hello, this is the test line.' },
      deepgram: { transcripts: ['What are your opening hours?', 'Thanks, that is all.'] },
      openai: { chat: (_req, i) => ({ text: i === 0 ? `${FIRST} ${SECOND}` : 'You are welcome.  Goodbye!' }) },
    });
    const { call } = h;
    await waitFor(() => call.sentOf('mark').length === 1, 5_000);
    expect(call.sentOf('transcript')).toEqual([]); // sent, not yet played
    call.playAll();
    expect(await lines(h, 1)).toEqual([line('agent', 'Hello, this is the test line.')]);
    h.utter();
    await waitFor(() => call.sentOf('mark').length === 3, 5_000);
    call.play(2_100); // the first sentence only
    await waitFor(() => call.delivered.filter((d) => d.value.type === 'mark').length === 2, 3_000);
    expect(call.sentOf('transcript')).toHaveLength(2);
    call.playAll();
    await lines(h, 3);
    h.utter();
    await waitFor(() => call.sentOf('mark').length === 5, 5_000);
    call.playAll();
    expect(await lines(h, 5)).toEqual([
      line('agent', 'Hello, this is the test line.'),
      line('caller', 'What are your opening hours?'),
      line('agent', `${FIRST} ${SECOND}`),
      line('caller', 'Thanks, that is all.'),
      line('agent', 'You are welcome. Goodbye!'),
    ]);
  });

  /** A turn whose answer is being spoken: the first sentence sent in full, the second one's TTS streaming, the model stalled. */
  async function speaking(options: Record<string, unknown> = {}): Promise<Harness> {
    const made = await harness({
      options,
      autoPlay: false,
      deepgram: { transcripts: ['What are your opening hours?', 'And on Saturdays?'] },
      openai: { chat: (_req, i) => (i === 0 ? { text: ANSWER, stallAfterChunks: STALL_AFTER } : { text: 'Saturdays too.' }), speech: { speed: 2 } },
    });
    h = made;
    made.utter();
    await made.chatRequests(1);
    await waitFor(() => made.openai.speechRequests[0]?.endedMs !== undefined && made.openai.speechRequests[1]?.firstByteMs !== undefined, 8_000);
    return made;
  }

  it('gateway barge-in: the cut reply is said as heard (playedMs), ending "—", before the caller turn that cut it', async () => {
    const made = await speaking();
    made.call.play(1_200); // 20 characters: "Our opening hours"
    made.call.interrupt();
    await waitFor(() => made.call.sentOf('clear').length === 1, 3_000);
    made.utter();
    await waitFor(() => made.call.sentOf('mark').length === 2, 5_000);
    made.call.playAll();
    expect(await lines(made, 4)).toEqual([
      line('caller', 'What are your opening hours?'),
      line('agent', 'Our opening hours—'),
      line('caller', 'And on Saturdays?'),
      line('agent', 'Saturdays too.'),
    ]);
  });

  it('the caller talks over the agent (bargeIn: agent): the sentences known played, then the caller turn', async () => {
    const made = await speaking();
    made.call.play(2_100); // the first sentence's mark comes back played
    await waitFor(() => made.call.delivered.some((d) => d.value.type === 'mark' && d.value.status === 'played'), 3_000);
    made.utter();
    await made.chatRequests(2);
    expect(await lines(made, 3)).toEqual([
      line('caller', 'What are your opening hours?'),
      line('agent', `${FIRST} —`),
      line('caller', 'And on Saturdays?'),
    ]);
  });

  it('partial: the caller turn so far from interim results, then the final line', async () => {
    h = await harness({ options: { transcript: 'partial' }, deepgram: { transcripts: ['Book a table please.'] }, openai: { chat: () => ({ text: 'Done.' }) } });
    h.utter(800, 400);
    const sent = await lines(h, 6);
    expect(sent.filter((m) => m.role === 'caller')).toEqual([
      line('caller', 'Book', false),
      line('caller', 'Book a', false),
      line('caller', 'Book a table', false),
      line('caller', 'Book a table please.', false),
      line('caller', 'Book a table please.'),
    ]);
    expect(sent.at(-1)).toEqual(line('agent', 'Done.'));
  });

  it('off: no line; noise that Deepgram does not transcribe leaves no caller line and the call goes on', async () => {
    h = await harness({ options: { transcript: 'off', greeting: 'Hi.' }, deepgram: { transcripts: ['Hello.'] }, openai: { chat: () => ({ text: 'Hello to you.' }) } });
    await waitFor(() => h?.call.sentOf('mark').length === 1, 5_000);
    h.utter();
    await waitFor(() => h?.call.sentOf('mark').length === 2, 5_000, () => JSON.stringify(h?.call.sent.map((s) => s.value)));
    expect(h.call.sentOf('transcript')).toEqual([]);

    const quiet = await harness({ options: { greeting: 'Hi.' }, deepgram: { transcripts: [''] } });
    try {
      await lines(quiet, 1);
      quiet.utter();
      await waitFor(() => quiet.deepgram.sentOfType('Results').some((r) => r.message['is_final'] === true), 3_000);
      expect(quiet.call.sentOf('transcript')).toEqual([line('agent', 'Hi.')]);
      expect(quiet.openai.chatRequests).toHaveLength(0);
      expect(quiet.call.sentOf('hangup')).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
