import { describe, expect, it } from 'vitest';
import { CallerTurn } from './caller-turn.js';

const final = (text: string, endMs: number, speechFinal = false) => ({ text, words: text.split(' ').length, isFinal: true, speechFinal, endMs });
const interim = (text: string) => ({ text, words: text.split(' ').length, isFinal: false, speechFinal: false, endMs: 0 });

describe('CallerTurn', () => {
  it('joins the final transcripts of a turn; an empty turn does not end', () => {
    const t = new CallerTurn();
    expect(t.end('speech_final')).toBeUndefined();
    t.transcript(interim('I want'));
    t.transcript(final('I want to book', 900));
    t.transcript(final('a table.', 1_400, true));
    t.audio(1_700);
    expect(t.end('speech_final')).toEqual({ text: 'I want to book a table.', sttMs: 300 });
    expect(t.end('speech_final')).toBeUndefined();
  });

  it('on UtteranceEnd a trailing interim counts (no final came for it)', () => {
    const t = new CallerTurn();
    t.transcript(final('Hello.', 500));
    t.transcript(interim('are you'));
    t.audio(2_000);
    expect(t.end('speech_final')?.text).toBe('Hello.');
    t.transcript(interim('are you there'));
    expect(t.end('utterance_end')?.text).toBe('are you there');
  });

  it("stt: the gateway's speech_stopped of this turn when there is one, else Deepgram's last word end", () => {
    const t = new CallerTurn();
    t.speechStarted(200);
    t.speechStopped(1_100); // the end of speech plus the gateway's hangover is reported at atMs = end of speech
    t.transcript(final('One.', 1_000, true));
    t.audio(1_500);
    expect(t.end('speech_final')?.sttMs).toBe(400);
    // Turn 2: speech_stopped has not come yet (older than the new onset): Deepgram's word end instead.
    t.speechStarted(1_800);
    t.transcript(final('Two.', 2_300, true));
    t.audio(1_100);
    expect(t.end('speech_final')?.sttMs).toBe(300);
    // Turn 3: no gateway events at all (bargeIn: off): Deepgram's word end.
    t.transcript(final('Three.', 3_000, true));
    t.audio(700);
    expect(t.end('speech_final')?.sttMs).toBe(300);
  });
});
