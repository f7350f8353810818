import { describe, expect, it } from 'vitest';
import { Conversation } from './conversation.js';

describe('Conversation', () => {
  it('system prompt first, then turns in order', () => {
    const c = new Conversation('Be brief.', 100);
    c.setAssistant('r1', 'Hello, how can I help?');
    c.addUser('What time is it?');
    expect(c.messages()).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'assistant', content: 'Hello, how can I help?' },
      { role: 'user', content: 'What time is it?' },
    ]);
  });

  it('a reply is updated in place when an interruption says how much was heard', () => {
    const c = new Conversation('S', 100);
    c.addUser('Hours?');
    c.setAssistant('r1', 'We open at nine. We close at five.');
    c.addUser('And Sunday?');
    c.setAssistant('r1', 'We open at nine—');
    expect(c.messages().map((m) => m.content)).toEqual(['S', 'Hours?', 'We open at nine—', 'And Sunday?']);
    expect(c.assistantText('r1')).toBe('We open at nine—');
  });

  it('a reply nobody heard disappears, and the caller turns around it become one user message', () => {
    const c = new Conversation('S', 100);
    c.addUser('I want to book');
    c.setAssistant('r1', '');
    c.addUser('a table for two.');
    expect(c.messages()).toEqual([{ role: 'system', content: 'S' }, { role: 'user', content: 'I want to book a table for two.' }]);
  });

  it('tool calls render as an assistant message with tool_calls followed by their tool results', () => {
    const c = new Conversation('S', 100);
    c.addUser('Bye');
    c.setAssistant('r1', 'Goodbye!', [{ id: 'call_1', name: 'end_call', arguments: '{}', result: 'done' }]);
    expect(c.messages().slice(2)).toEqual([
      { role: 'assistant', content: 'Goodbye!', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'end_call', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'done' },
    ]);
    c.setAssistant('r1', '');
    expect(c.messages()[2]).toMatchObject({ role: 'assistant', content: null });
  });

  it('keeps at most maxEntries turns, dropping the oldest', () => {
    const c = new Conversation('S', 3);
    for (let i = 0; i < 5; i++) c.addUser(`u${i}`), c.setAssistant(`r${i}`, `a${i}`);
    expect(c.messages().map((m) => m.content)).toEqual(['S', 'a3', 'u4', 'a4']);
  });
});
