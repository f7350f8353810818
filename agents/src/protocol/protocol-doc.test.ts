/**
 * docs/protocol.md against the types: every message type has its section on the right side, and every JSON example
 * there is a message the parsers accept (so a documented example can be copied as is).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { AGENT_MESSAGE_TYPES, GATEWAY_MESSAGE_TYPES } from './messages.js';
import { parseAgentMessage, parseGatewayMessage } from './parse.js';

const DOC = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

function between(start: string, end: string): string {
  const from = DOC.indexOf(start);
  const to = DOC.indexOf(end, from + start.length);
  if (from < 0 || to < 0) throw new Error(`docs/protocol.md has no section from "${start}" to "${end}"`);
  return DOC.slice(from, to);
}

const GATEWAY_SIDE = between('### Gateway → agent', '### Agent → gateway');
const AGENT_SIDE = between('### Agent → gateway', '## 5.');

/** The `type`s named in a side's `#### ` headings. */
function headed(side: string): string[] {
  return [...side.matchAll(/^#### (.*)$/gm)].flatMap((m) => [...(m[1] ?? '').split(':')[0]?.matchAll(/`([a-z_]+)`/g) ?? []].map((t) => t[1] ?? ''));
}

/**
 * The messages in a side's ```json blocks: one per line that opens with `{ "type"` (an object may span lines); other
 * JSON there (the `GET /stats` excerpt) is not a message.
 */
function examples(side: string): string[] {
  return [...side.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => {
    const objects: string[] = [];
    for (const line of (m[1] ?? '').split('\n')) {
      if (line.startsWith('{')) objects.push(line);
      else if (line.trim() !== '' && objects.length > 0) objects[objects.length - 1] += `\n${line}`;
    }
    return objects.filter((o) => o.startsWith('{ "type"'));
  });
}

describe('docs/protocol.md', () => {
  it('has a section for every message type, on its side', () => {
    expect([...headed(GATEWAY_SIDE)].sort()).toEqual([...GATEWAY_MESSAGE_TYPES].sort());
    expect([...headed(AGENT_SIDE)].sort()).toEqual([...AGENT_MESSAGE_TYPES].sort());
  });

  it('every example parses as the message its side sends, and every type has one', () => {
    const agent = examples(AGENT_SIDE).map((json) => parseAgentMessage(json));
    const gateway = examples(GATEWAY_SIDE).map((json) => parseGatewayMessage(json));
    expect(new Set(agent.map((m) => m.type))).toEqual(new Set(AGENT_MESSAGE_TYPES));
    expect(new Set(gateway.map((m) => m.type))).toEqual(new Set(GATEWAY_MESSAGE_TYPES));
    expect(agent.filter((m) => m.type === 'transcript')).toEqual([
      { type: 'transcript', role: 'caller', text: "I'd like a table for two tonight.", final: true },
      { type: 'transcript', role: 'agent', text: 'Of course. For what time?', final: true },
    ]);
  });

  it("quotes the parser's own bad_message text for an unknown type", () => {
    let message = '';
    try {
      parseAgentMessage('{"type":"media"}');
    } catch (err) {
      if (err instanceof ProtocolError) message = err.message;
    }
    expect(message).not.toBe('');
    expect(GATEWAY_SIDE).toContain(`\`${message}\``);
  });
});
