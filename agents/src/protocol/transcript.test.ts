import { describe, expect, it } from 'vitest';
import { PROTOCOL_LIMITS } from './messages.js';
import { parseAgentMessage } from './parse.js';
import { transcriptMessage } from './transcript.js';

describe('transcriptMessage', () => {
  it('collapses whitespace and keeps role and finality', () => {
    expect(transcriptMessage('caller', '  I want\n to book\ta table. ', true)).toEqual({ type: 'transcript', role: 'caller', text: 'I want to book a table.', final: true });
    expect(transcriptMessage('agent', 'Hello', false)).toEqual({ type: 'transcript', role: 'agent', text: 'Hello', final: false });
  });

  it('drops a line with nothing to say', () => {
    expect(transcriptMessage('caller', '', true)).toBeUndefined();
    expect(transcriptMessage('agent', ' \n\t ', true)).toBeUndefined();
  });

  it('clips a long line to what the gateway accepts, marked with an ellipsis', () => {
    const long = 'word '.repeat(2_000);
    const msg = transcriptMessage('agent', long, true);
    if (msg === undefined) throw new Error('no message');
    expect(msg.text.length).toBeLessThanOrEqual(PROTOCOL_LIMITS.maxTextChars);
    expect(msg.text.endsWith('word…')).toBe(true);
    expect(parseAgentMessage(JSON.stringify(msg))).toEqual(msg); // the gateway's own parser takes it
    expect(() => parseAgentMessage(JSON.stringify({ ...msg, text: long.trim() }))).toThrow(/text/);
  });

  it('never splits a surrogate pair at the limit', () => {
    const text = `${'a'.repeat(PROTOCOL_LIMITS.maxTextChars - 2)}😀😀`;
    const msg = transcriptMessage('caller', text, true);
    expect(msg?.text).toBe(`${'a'.repeat(PROTOCOL_LIMITS.maxTextChars - 2)}…`);
    expect(msg?.text.length).toBeLessThanOrEqual(PROTOCOL_LIMITS.maxTextChars);
  });
});
