/**
 * Interruptions: every stage of the reply stops at once (the fake servers see their connections closed before the
 * response ended), and the history keeps only what the caller heard. The fake TTS speaks 60 ms per character, so
 * `playedMs` maps onto known text: 1,200 ms into "Our opening hours are nine to five." is 20 characters, and the last
 * word that ended within them is "hours" (17); "are" ends at 21.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './testing/harness.js';
import { waitFor } from './testing/wait.js';

const FIRST = 'Our opening hours are nine to five.';
const SECOND = 'We are closed on Sundays and on public holidays, sadly.';
/** The model stalls after this many words (into the third sentence): its request is still open when the caller cuts in. */
const ANSWER = `${FIRST} ${SECOND} Third sentence never comes.`;
const STALL_AFTER = FIRST.split(' ').length + SECOND.split(' ').length + 1;

describe('pipeline session: interruptions', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  /** A turn whose answer is being spoken: the first sentence sent in full, the second one's TTS streaming, the model stalled. */
  async function speaking(options: Record<string, unknown> = {}): Promise<Harness> {
    const made = await harness({
      options,
      autoPlay: false,
      deepgram: { transcripts: ['What are your opening hours?', 'And on Saturdays?', 'Thanks.'] },
      openai: {
        chat: (_req, i) => (i === 0 ? { text: ANSWER, stallAfterChunks: STALL_AFTER } : { text: 'Saturdays too.' }),
        speech: { speed: 2 },
      },
    });
    h = made;
    made.utter();
    await made.chatRequests(1);
    await waitFor(() => made.openai.speechRequests[0]?.endedMs !== undefined && made.openai.speechRequests[1]?.firstByteMs !== undefined, 8_000);
    return made;
  }

  it('gateway barge-in (interrupted{playedMs}): the model and TTS requests are cut, clear is sent, and the next request holds only the heard words', async () => {
    const { call, openai } = await speaking();
    call.play(1_200);
    call.interrupt();
    await waitFor(() => call.sentOf('clear').length === 1, 3_000);
    const interruptedAt = call.delivered.find((d) => d.value.type === 'interrupted')?.atMs ?? 0;
    await waitFor(() => openai.chatRequests[0]?.closedEarlyMs !== undefined && openai.speechRequests[1]?.closedEarlyMs !== undefined, 3_000);
    expect(openai.chatRequests[0]?.endedMs).toBeUndefined();
    expect(openai.speechRequests[1]?.endedMs).toBeUndefined();
    expect(openai.speechRequests).toHaveLength(2);

    h?.utter();
    await h?.chatRequests(2);
    expect(openai.messagesOf(1).slice(1)).toEqual([
      { role: 'user', content: 'What are your opening hours?' },
      { role: 'assistant', content: 'Our opening hours—' },
      { role: 'user', content: 'And on Saturdays?' },
    ]);
    // Nothing of the cut reply was sent after the interruption reached the agent.
    const newReply = openai.speechRequests[2]?.receivedMs ?? Infinity;
    expect(call.audio.filter((a) => a.atMs > interruptedAt && a.atMs < newReply)).toEqual([]);
  });

  it('interrupted in the second sentence: the first is kept whole, the second up to the last word heard', async () => {
    const { call, openai } = await speaking();
    await waitFor(() => call.audioSamples >= (2_100 + 720) * 24, 3_000);
    call.play(2_100 + 720); // 12 characters of the second sentence: "We are" (6); "closed" ends at 13
    call.interrupt();
    h?.utter();
    await h?.chatRequests(2);
    expect(openai.messagesOf(1)[2]).toEqual({ role: 'assistant', content: `${FIRST} We are—` });
  });

  it('the caller talks over the agent (bargeIn: agent): the agent clears itself and keeps what cleared.playedMs says was heard', async () => {
    const { call, openai } = await speaking();
    call.play(1_260); // 21 characters: up to "are"
    h?.utter(); // the first interim (one word) interrupts; the final then ends the turn
    await waitFor(() => call.sentOf('clear').length === 1, 3_000);
    const clear = call.sentOf('clear')[0];
    await waitFor(() => openai.chatRequests[0]?.closedEarlyMs !== undefined && openai.speechRequests[1]?.closedEarlyMs !== undefined, 3_000);
    await h?.chatRequests(2);
    const cleared = call.delivered.find((d) => d.value.type === 'cleared')?.value;
    expect(cleared).toEqual({ type: 'cleared', playedMs: 1_260, droppedMs: expect.any(Number), turnId: clear?.turnId });
    expect(openai.messagesOf(1)[2]).toEqual({ role: 'assistant', content: 'Our opening hours are—' });
  });

  it('interruptMinWords: fewer words over the agent do not stop it; the word that reaches the count does', async () => {
    const { call } = await speaking({ interruptMinWords: 3 });
    // The session logs each transcript it receives (word counts only): wait until it has handled both interims.
    const interims = (): number[] => (h?.logger.lines ?? []).filter((l) => l.msg === 'transcript' && (l.obj as { isFinal: boolean }).isFinal === false).map((l) => (l.obj as { words: number }).words);
    const before = interims().length;
    call.say(460); // interims at 200 and 400 ms of speech: one word, two words
    await waitFor(() => interims().length === before + 2, 3_000);
    expect(interims().slice(before)).toEqual([1, 2]);
    expect(call.sentOf('clear')).toEqual([]);
    call.say(200); // 600 ms of speech: three words
    await waitFor(() => call.sentOf('clear').length === 1, 3_000);
  });

  it('the caller goes on talking before the reply is audible: it is dropped unheard and both caller turns go to the model as one', async () => {
    h = await harness({
      autoPlay: false,
      deepgram: { transcripts: ['I would like to book', 'a table for two please.'] },
      openai: { chat: (_req, i) => (i === 0 ? { text: 'Sure, for how', stallAfterChunks: 2 } : { text: 'Done.' }) },
    });
    const { call, openai } = h;
    h.utter();
    await h.chatRequests(1);
    await waitFor(() => (openai.chatRequests[0]?.bytes ?? 0) > 0, 3_000);
    h.utter();
    await h.chatRequests(2);
    expect(openai.chatRequests[0]?.closedEarlyMs).toBeDefined();
    expect(call.sentOf('clear')).toEqual([]); // nothing was playing
    expect(openai.messagesOf(1).slice(1)).toEqual([{ role: 'user', content: 'I would like to book a table for two please.' }]);
  });

  it('the greeting interrupted by the gateway is kept as heard; further audio plays after the clear', async () => {
    h = await harness({
      autoPlay: false,
      options: { greeting: 'Welcome to the test line. How can I help you today?' },
      deepgram: { transcripts: ['Opening hours please.'] },
      openai: { chat: () => ({ text: 'Nine to five.' }) },
    });
    const { call, openai } = h;
    await waitFor(() => call.sentOf('mark').length === 2, 5_000);
    call.play(1_500 + 600); // "Welcome to the test line." (25 chars) whole, then 10 characters: "How can I"
    call.interrupt();
    await waitFor(() => call.sentOf('clear').length === 1, 3_000);
    h.utter();
    await h.chatRequests(1);
    expect(openai.messagesOf(0).slice(1)).toEqual([
      { role: 'assistant', content: 'Welcome to the test line. How can I—' },
      { role: 'user', content: 'Opening hours please.' },
    ]);
    await waitFor(() => call.sentOf('mark').length === 3, 5_000);
    call.playAll();
    await waitFor(() => call.delivered.some((d) => d.value.type === 'mark' && d.value.name === 'r2.0' && d.value.status === 'played'), 3_000);
  });
});
