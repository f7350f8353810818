import type { TranscriptMessage } from '@patchbay/agents';
import { describe, expect, it } from 'vitest';
import { TranscriptLines, transcriptModeOption } from './index.js';

function lines(mode: 'final' | 'partial' | 'off'): { t: TranscriptLines; sent: TranscriptMessage[] } {
  const sent: TranscriptMessage[] = [];
  return { t: new TranscriptLines(mode, (m) => sent.push(m)), sent };
}

describe('TranscriptLines', () => {
  it('final: caller and agent lines, no partials, empty lines dropped', () => {
    const { t, sent } = lines('final');
    t.caller('I want', false);
    t.caller(' I want a table. ', true);
    t.agent('  ');
    t.agent('For how many?');
    expect(sent).toEqual([
      { type: 'transcript', role: 'caller', text: 'I want a table.', final: true },
      { type: 'transcript', role: 'agent', text: 'For how many?', final: true },
    ]);
  });

  it('partial: the turn so far as final:false, an unchanged one not repeated, then the final line', () => {
    const { t, sent } = lines('partial');
    t.caller('I want', false);
    t.caller('I want ', false);
    t.caller('I want a', false);
    t.caller('I want a table.', true);
    t.caller('I want', false); // a new turn may repeat the previous turn's first words
    expect(sent.map((m) => [m.text, m.final])).toEqual([
      ['I want', false],
      ['I want a', false],
      ['I want a table.', true],
      ['I want', false],
    ]);
  });

  it('off: nothing', () => {
    const { t, sent } = lines('off');
    t.caller('Hello', false);
    t.caller('Hello', true);
    t.agent('Hi');
    expect(t.enabled).toBe(false);
    expect(sent).toEqual([]);
  });

  it('the option defaults to final and refuses other words', () => {
    expect(transcriptModeOption.parse(undefined)).toBe('final');
    expect(transcriptModeOption.safeParse('all').success).toBe(false);
  });
});
