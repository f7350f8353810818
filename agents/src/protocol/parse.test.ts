import { describe, expect, it } from 'vitest';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { ProtocolErrorCodeValue } from './errors.js';
import { AGENT_STAGES, AUDIO_FORMAT, PROTOCOL_LIMITS } from './messages.js';
import type { AgentMessage, GatewayMessage } from './messages.js';
import { parseAgentMessage, parseGatewayMessage } from './parse.js';

const start: GatewayMessage = {
  type: 'start',
  version: 1,
  callId: 'c-1',
  streamId: 's-1',
  from: '+15550100001',
  to: '+15550100002',
  direction: 'inbound',
  parameters: { language: 'en' },
  audio: AUDIO_FORMAT,
};

function fault(fn: () => unknown): { code: ProtocolErrorCodeValue; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('parseGatewayMessage', () => {
  const valid: GatewayMessage[] = [
    start,
    { ...start, resume: { attempt: 1, cause: 'agent-dropped', transcript: [{ role: 'caller', text: 'I need a plumber' }, { role: 'agent', text: 'Where are you?' }], playedMs: 840 } } as GatewayMessage,
    { type: 'dtmf', digit: '#', durationMs: 120, source: 'rfc4733' },
    { type: 'dtmf', digit: 'D', durationMs: 0, source: 'sip-info' },
    { type: 'mark', name: 'm1', status: 'played', playedMs: 1000 },
    { type: 'mark', name: 'm2', status: 'cleared', playedMs: 0 },
    { type: 'cleared', droppedMs: 300, playedMs: 1200 },
    { type: 'stop', reason: 'caller_hangup' },
    { type: 'error', code: 'playout_overflow', message: 'buffer full', droppedMs: 40 },
    { type: 'error', code: 'bad_message', message: 'unknown type' },
  ];
  it.each(valid.map((m) => [m.type, m] as const))('accepts a valid %s', (_t, msg) => {
    expect(parseGatewayMessage(JSON.stringify(msg))).toEqual(msg);
  });

  it('ignores and strips unknown fields (forward compatibility)', () => {
    const parsed = parseGatewayMessage(JSON.stringify({ type: 'stop', reason: 'x', future: 1 }));
    expect(parsed).toEqual({ type: 'stop', reason: 'x' });
  });

  const invalid: [string, unknown, string][] = [
    ['start without callId', { ...start, callId: undefined }, 'callId'],
    ['start with 8 kHz audio', { ...start, audio: { ...AUDIO_FORMAT, sampleRate: 8000 } }, 'audio.sampleRate'],
    ['start with a bad direction', { ...start, direction: 'sideways' }, 'direction'],
    ['start with a resume of attempt 0', { ...start, resume: { attempt: 0, cause: 'agent-dropped', transcript: [], playedMs: 0 } }, 'resume.attempt'],
    ['start with a resume line of an unknown role', { ...start, resume: { attempt: 1, cause: 'agent-dropped', transcript: [{ role: 'bot', text: 'hi' }], playedMs: 0 } }, 'resume.transcript.0.role'],
    ['start with a resume of an unknown cause', { ...start, resume: { attempt: 1, cause: 'agent-bored', transcript: [], playedMs: 0 } }, 'resume.cause'],
    ['start with a numeric parameter', { ...start, parameters: { a: 1 } }, 'parameters.a'],
    ['dtmf with two digits', { type: 'dtmf', digit: '12', durationMs: 1, source: 'rfc4733' }, 'digit'],
    ['dtmf with a bad source', { type: 'dtmf', digit: '1', durationMs: 1, source: 'inband' }, 'source'],
    ['mark with a bad status', { type: 'mark', name: 'm', status: 'done', playedMs: 0 }, 'status'],
    ['mark with negative playedMs', { type: 'mark', name: 'm', status: 'played', playedMs: -20 }, 'playedMs'],
    ['cleared with a string droppedMs', { type: 'cleared', droppedMs: '20', playedMs: 0 }, 'droppedMs'],
    ['stop without reason', { type: 'stop' }, 'reason'],
    ['error without code', { type: 'error', message: 'x' }, 'code'],
  ];
  it.each(invalid)('rejects %s with PROTOCOL_BAD_FIELD naming the field', (_name, msg, field) => {
    const f = fault(() => parseGatewayMessage(JSON.stringify(msg)));
    expect(f.code).toBe(ProtocolErrorCode.BadField);
    expect(f.message).toContain(`"${field}"`);
  });

  it('reads the barge-in events: interrupted, speech_started, speech_stopped, cleared with a turn id', () => {
    expect(parseGatewayMessage('{"type":"interrupted","playedMs":2000,"droppedMs":3000,"marks":["end"]}')).toEqual({ type: 'interrupted', playedMs: 2000, droppedMs: 3000, marks: ['end'] });
    expect(parseGatewayMessage('{"type":"speech_started","atMs":2020}')).toEqual({ type: 'speech_started', atMs: 2020 });
    expect(parseGatewayMessage('{"type":"speech_stopped","atMs":3400}')).toEqual({ type: 'speech_stopped', atMs: 3400 });
    expect(parseGatewayMessage('{"type":"cleared","droppedMs":0,"playedMs":20,"turnId":"t2"}')).toMatchObject({ turnId: 't2' });
    expect(() => parseGatewayMessage('{"type":"interrupted","playedMs":-1,"droppedMs":0,"marks":[]}')).toThrow(ProtocolError);
    expect(() => parseGatewayMessage('{"type":"speech_started"}')).toThrow(/atMs/);
  });

  it('reads the cut item\'s position (itemPlayedMs, afterMark) on interrupted and cleared, and checks its type', () => {
    const interrupted = { type: 'interrupted', playedMs: 6116, droppedMs: 40, itemPlayedMs: 3060, afterMark: 'response-1', marks: ['response-2'] };
    expect(parseGatewayMessage(JSON.stringify(interrupted))).toEqual(interrupted);
    const cleared = { type: 'cleared', droppedMs: 0, playedMs: 20, itemPlayedMs: 20, turnId: 't2' };
    expect(parseGatewayMessage(JSON.stringify(cleared))).toEqual(cleared);
    expect(() => parseGatewayMessage(JSON.stringify({ ...interrupted, itemPlayedMs: 1.5 }))).toThrow(/itemPlayedMs/);
    expect(() => parseGatewayMessage(JSON.stringify({ ...cleared, afterMark: '' }))).toThrow(/afterMark/);
  });

  it('rejects another protocol version with PROTOCOL_UNSUPPORTED_VERSION', () => {
    const f = fault(() => parseGatewayMessage(JSON.stringify({ ...start, version: 2 })));
    expect(f.code).toBe(ProtocolErrorCode.UnsupportedVersion);
    expect(f.message).toContain('version 2');
  });

  it('rejects agent-only types', () => {
    expect(fault(() => parseGatewayMessage('{"type":"clear"}')).code).toBe(ProtocolErrorCode.UnknownType);
  });
});

describe('parseAgentMessage', () => {
  const valid: AgentMessage[] = [
    { type: 'mark', name: 'greeting' },
    { type: 'clear' },
    { type: 'hangup' },
    { type: 'hangup', reason: 'goodbye' },
    { type: 'dtmf', digits: '0123456789*#ABCD' },
    { type: 'dtmf', digits: '1', durationMs: 250 },
  ];
  it.each(valid.map((m) => [JSON.stringify(m), m] as const))('accepts %s', (_t, msg) => {
    expect(parseAgentMessage(JSON.stringify(msg))).toEqual(msg);
  });

  const invalid: [string, unknown, string][] = [
    ['mark without name', { type: 'mark' }, 'name'],
    ['mark with an empty name', { type: 'mark', name: '' }, 'name'],
    ['mark with a 257-char name', { type: 'mark', name: 'x'.repeat(257) }, 'name'],
    ['hangup with a numeric reason', { type: 'hangup', reason: 3 }, 'reason'],
    ['dtmf with a letter outside A-D', { type: 'dtmf', digits: '12E' }, 'digits'],
    ['dtmf with lower-case a', { type: 'dtmf', digits: 'a' }, 'digits'],
    ['dtmf with no digits', { type: 'dtmf', digits: '' }, 'digits'],
    ['dtmf with 65 digits', { type: 'dtmf', digits: '1'.repeat(65) }, 'digits'],
    ['dtmf with a 10 ms duration', { type: 'dtmf', digits: '1', durationMs: 10 }, 'durationMs'],
    ['dtmf with a fractional duration', { type: 'dtmf', digits: '1', durationMs: 100.5 }, 'durationMs'],
  ];
  it.each(invalid)('rejects %s with PROTOCOL_BAD_FIELD naming the field', (_name, msg, field) => {
    const f = fault(() => parseAgentMessage(JSON.stringify(msg)));
    expect(f.code).toBe(ProtocolErrorCode.BadField);
    expect(f.message).toContain(`"${field}"`);
  });

  it('accepts clear with an optional turn id', () => {
    expect(parseAgentMessage('{"type":"clear"}')).toEqual({ type: 'clear' });
    expect(parseAgentMessage('{"type":"clear","turnId":"turn-7"}')).toEqual({ type: 'clear', turnId: 'turn-7' });
    expect(() => parseAgentMessage('{"type":"clear","turnId":7}')).toThrow(/turnId/);
  });

  it('accepts the longest name and digit string', () => {
    expect(parseAgentMessage(JSON.stringify({ type: 'mark', name: 'x'.repeat(256) }))).toMatchObject({ type: 'mark' });
    expect(parseAgentMessage(JSON.stringify({ type: 'dtmf', digits: '#'.repeat(64) }))).toMatchObject({ type: 'dtmf' });
  });

  describe('stage', () => {
    it.each(AGENT_STAGES)('accepts the %s stage', (stage) => {
      expect(parseAgentMessage(JSON.stringify({ type: 'stage', stage, ms: 412 }))).toEqual({ type: 'stage', stage, ms: 412 });
    });

    it('accepts 0 ms, fractions of a ms and the largest value; drops unknown fields', () => {
      expect(parseAgentMessage('{"type":"stage","stage":"llm","ms":0}')).toEqual({ type: 'stage', stage: 'llm', ms: 0 });
      expect(parseAgentMessage('{"type":"stage","stage":"tts","ms":87.25}')).toEqual({ type: 'stage', stage: 'tts', ms: 87.25 });
      const max = { type: 'stage', stage: 'stt', ms: PROTOCOL_LIMITS.maxStageMs };
      expect(parseAgentMessage(JSON.stringify(max))).toEqual(max);
      expect(parseAgentMessage('{"type":"stage","stage":"stt","ms":5,"model":"x"}')).toEqual({ type: 'stage', stage: 'stt', ms: 5 });
    });

    const invalid: [string, string, string][] = [
      ['an unknown stage', '{"type":"stage","stage":"vad","ms":10}', 'stage'],
      ['an upper-case stage', '{"type":"stage","stage":"LLM","ms":10}', 'stage'],
      ['no stage', '{"type":"stage","ms":10}', 'stage'],
      ['a negative ms', '{"type":"stage","stage":"llm","ms":-1}', 'ms'],
      ['a tiny negative ms', '{"type":"stage","stage":"llm","ms":-0.001}', 'ms'],
      ['more than an hour', `{"type":"stage","stage":"llm","ms":${PROTOCOL_LIMITS.maxStageMs + 1}}`, 'ms'],
      ['a huge ms (1e300)', '{"type":"stage","stage":"llm","ms":1e300}', 'ms'],
      ['an ms that overflows to Infinity', '{"type":"stage","stage":"llm","ms":1e400}', 'ms'],
      ['a string ms', '{"type":"stage","stage":"llm","ms":"12"}', 'ms'],
      ['a null ms', '{"type":"stage","stage":"llm","ms":null}', 'ms'],
      ['no ms', '{"type":"stage","stage":"llm"}', 'ms'],
    ];
    it.each(invalid)('rejects %s with PROTOCOL_BAD_FIELD naming the field', (_name, text, field) => {
      const f = fault(() => parseAgentMessage(text));
      expect(f.code).toBe(ProtocolErrorCode.BadField);
      expect(f.message).toContain(`"${field}"`);
    });
  });

  describe('transfer', () => {
    it.each([
      '+15551234567',
      '15551234567',
      '1000',
      '*72#',
      'sip:desk@pbx.example',
      'sips:desk@pbx.example:5061;transport=tls',
      'SIP:+15551234567@trunk.example;user=phone',
      'sip:pbx.example',
    ])('accepts %s', (target) => {
      expect(parseAgentMessage(JSON.stringify({ type: 'transfer', target }))).toEqual({ type: 'transfer', target });
    });

    it('accepts a SIP URI of exactly the longest length', () => {
      const target = `sip:${'a'.repeat(PROTOCOL_LIMITS.maxTargetChars - 4)}`;
      expect(target).toHaveLength(PROTOCOL_LIMITS.maxTargetChars);
      expect(parseAgentMessage(JSON.stringify({ type: 'transfer', target }))).toEqual({ type: 'transfer', target });
    });

    const invalid: [string, unknown][] = [
      ['an empty target', ''],
      ['words', 'the sales desk'],
      ['a phone number with spaces', '+1 555 123 4567'],
      ['a phone number with letters', '+1555CALLNOW'],
      ['a phone number of 33 digits', `+${'5'.repeat(33)}`],
      ['an http URL', 'https://example.com/desk'],
      ['a tel: URI', 'tel:+15551234567'],
      ['a bare scheme', 'sip:'],
      ['a SIP URI in angle brackets', '<sip:desk@pbx.example>'],
      ['a SIP URI carrying a header (CRLF injection)', 'sip:desk@pbx.example\r\nVia: SIP/2.0/UDP evil'],
      ['a SIP URI with a quote', 'sip:"desk"@pbx.example'],
      ['a SIP URI one character too long', `sip:${'a'.repeat(PROTOCOL_LIMITS.maxTargetChars - 3)}`],
      ['a number instead of a string', 15551234567],
      ['null', null],
    ];
    it.each(invalid)('rejects %s with PROTOCOL_BAD_FIELD naming target', (_name, target) => {
      const f = fault(() => parseAgentMessage(JSON.stringify({ type: 'transfer', target })));
      expect(f.code).toBe(ProtocolErrorCode.BadField);
      expect(f.message).toContain('"target"');
    });

    it('rejects a transfer without a target', () => {
      expect(fault(() => parseAgentMessage('{"type":"transfer"}')).message).toContain('"target"');
    });
  });

  it('rejects text that is not JSON with PROTOCOL_BAD_JSON', () => {
    expect(fault(() => parseAgentMessage('{"type":')).code).toBe(ProtocolErrorCode.BadJson);
    expect(fault(() => parseAgentMessage('')).code).toBe(ProtocolErrorCode.BadJson);
  });

  it.each(['[]', 'null', '"mark"', '42', '{}', '{"type":7}'])('rejects %s with PROTOCOL_NOT_A_MESSAGE', (text) => {
    expect(fault(() => parseAgentMessage(text)).code).toBe(ProtocolErrorCode.NotAMessage);
  });

  it('rejects an unknown type, listing the known ones', () => {
    const f = fault(() => parseAgentMessage('{"type":"media","payload":"AAAA"}'));
    expect(f.code).toBe(ProtocolErrorCode.UnknownType);
    expect(f.message).toContain('"media"');
    expect(f.message).toContain('mark, clear, hangup, dtmf');
  });

  it.each(['__proto__', 'constructor', 'toString', 'start'])('does not treat %s as a type', (type) => {
    expect(fault(() => parseAgentMessage(JSON.stringify({ type }))).code).toBe(ProtocolErrorCode.UnknownType);
  });

  it('enforces the 64 KiB limit in UTF-8 bytes', () => {
    const pad = (n: number, ch: string): string => JSON.stringify({ type: 'clear', pad: ch.repeat(n) });
    const overhead = pad(0, 'x').length;
    const atLimit = pad(PROTOCOL_LIMITS.maxJsonBytes - overhead, 'x');
    expect(Buffer.byteLength(atLimit)).toBe(PROTOCOL_LIMITS.maxJsonBytes);
    expect(parseAgentMessage(atLimit)).toEqual({ type: 'clear' });
    const over = pad(PROTOCOL_LIMITS.maxJsonBytes - overhead + 1, 'x');
    expect(fault(() => parseAgentMessage(over)).code).toBe(ProtocolErrorCode.TooLarge);
    // Fewer characters than the limit, but more bytes: 'é' is two bytes in UTF-8.
    const multibyte = pad(40_000, 'é');
    expect(multibyte.length).toBeLessThan(PROTOCOL_LIMITS.maxJsonBytes);
    expect(fault(() => parseAgentMessage(multibyte)).code).toBe(ProtocolErrorCode.TooLarge);
  });
});
