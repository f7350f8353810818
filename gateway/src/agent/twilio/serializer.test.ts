/**
 * The Twilio wire format against Twilio's own documented examples
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages): what the serializer writes must parse to
 * exactly the documented shape (same keys, strings where Twilio has strings), and the documented bot messages must
 * parse.
 */
import { describe, expect, it } from 'vitest';
import { TwilioMessageError } from './messages.js';
import { TwilioSerializer } from './serializer.js';
import { twilioSids } from './sids.js';

const SIDS = {
  accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
};

// Twilio's examples, as documented (sequence numbers renumbered to one stream: start is always 1).
const DOC_CONNECTED = { event: 'connected', protocol: 'Call', version: '1.0.0' };
const DOC_START = {
  event: 'start',
  sequenceNumber: '1',
  start: {
    accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    tracks: ['inbound'],
    customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
  streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
};
const DOC_MEDIA = {
  event: 'media',
  sequenceNumber: '2',
  media: { track: 'inbound', chunk: '1', timestamp: '0', payload: 'no+JhoaJjpw=' },
  streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
};
const DOC_DTMF = { event: 'dtmf', streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX', sequenceNumber: '3', dtmf: { track: 'inbound_track', digit: '1' } };
const DOC_MARK = { event: 'mark', sequenceNumber: '4', streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX', mark: { name: 'my label' } };
const DOC_STOP = {
  event: 'stop',
  sequenceNumber: '5',
  stop: { accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX', callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' },
  streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
};

/** Every leaf of `value` with its path and type, sorted, so a number where Twilio has a string fails loudly. */
function leaves(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`)).sort();
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, `${path}.${k}`)).sort();
  return [`${path}: ${typeof value}`];
}

describe('TwilioSerializer: messages to the bot', () => {
  it('writes connected, start, media, dtmf, mark and stop exactly as Twilio documents them', () => {
    const s = new TwilioSerializer(SIDS);
    const wire = [
      s.connected(),
      s.start({ FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' }),
      s.media(1, 0, new Uint8Array(Buffer.from('no+JhoaJjpw=', 'base64'))),
      s.dtmf('1'),
      s.mark('my label'),
      s.stop(),
    ];
    const parsed = wire.map((text) => JSON.parse(text) as unknown);
    const docs = [DOC_CONNECTED, DOC_START, DOC_MEDIA, DOC_DTMF, DOC_MARK, DOC_STOP];
    expect(parsed).toEqual(docs);
    // Same types at every leaf: sequenceNumber, chunk and timestamp are strings, sampleRate and channels numbers.
    parsed.forEach((p, i) => expect(leaves(p)).toEqual(leaves(docs[i])));
    expect(s.sequenceNumber).toBe(5);
  });

  it('numbers every message after connected and every caller chunk; timestamp is the chunk position in ms', () => {
    const s = new TwilioSerializer(SIDS);
    s.connected();
    s.start({});
    const frames = [1, 2, 3].map((chunk) => JSON.parse(s.media(chunk, (chunk - 1) * 20, new Uint8Array(160).fill(0xff))) as typeof DOC_MEDIA);
    expect(frames.map((f) => [f.sequenceNumber, f.media.chunk, f.media.timestamp])).toEqual([['2', '1', '0'], ['3', '2', '20'], ['4', '3', '40']]);
    expect(frames.map((f) => Buffer.from(f.media.payload, 'base64').length)).toEqual([160, 160, 160]);
    expect(JSON.parse(s.mark('x'))).toMatchObject({ sequenceNumber: '5' });
  });

  it('escapes what needs escaping in names and parameters (the hand-built media message carries none)', () => {
    const s = new TwilioSerializer(SIDS);
    const start = JSON.parse(s.start({ 'quote"key': 'line\nbreak' })) as typeof DOC_START;
    expect(start.start.customParameters).toEqual({ 'quote"key': 'line\nbreak' });
    expect(JSON.parse(s.mark('a "b"\\c'))).toMatchObject({ mark: { name: 'a "b"\\c' } });
  });
});

describe('TwilioSerializer: messages from the bot', () => {
  const s = new TwilioSerializer(SIDS);

  it('reads the documented media, mark and clear', () => {
    const media = s.parse(JSON.stringify({ event: 'media', streamSid: SIDS.streamSid, media: { payload: 'no+JhoaJjpw=' } }));
    expect(media.event).toBe('media');
    if (media.event !== 'media') throw new Error('not media');
    expect(Array.from(media.payload)).toEqual(Array.from(Buffer.from('no+JhoaJjpw=', 'base64')));
    expect(s.parse(JSON.stringify({ event: 'mark', streamSid: SIDS.streamSid, mark: { name: 'my label' } }))).toEqual({ event: 'mark', name: 'my label' });
    expect(s.parse(JSON.stringify({ event: 'clear', streamSid: SIDS.streamSid }))).toEqual({ event: 'clear' });
  });

  it('round-trips caller audio: the payload it writes is the payload a bot reads back', () => {
    const bytes = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const out = JSON.parse(s.media(7, 120, bytes)) as typeof DOC_MEDIA;
    const back = s.parse(JSON.stringify({ event: 'media', streamSid: out.streamSid, media: { payload: out.media.payload } }));
    expect(back.event === 'media' ? Array.from(back.payload) : []).toEqual(Array.from(bytes));
  });

  it('ignores streamSid and unknown fields (Pipecat and the OpenAI demo send what Twilio documents, some add more)', () => {
    expect(s.parse('{"event":"clear"}')).toEqual({ event: 'clear' });
    expect(s.parse('{"event":"mark","streamSid":"MZother","mark":{"name":"n","extra":1},"x":true}')).toEqual({ event: 'mark', name: 'n' });
  });

  it.each([
    ['{not json', 'TWILIO_NOT_A_MESSAGE'],
    ['[1,2]', 'TWILIO_NOT_A_MESSAGE'],
    ['{"type":"mark"}', 'TWILIO_NOT_A_MESSAGE'],
    ['{"event":"start"}', 'TWILIO_UNKNOWN_EVENT'],
    ['{"event":"hangup"}', 'TWILIO_UNKNOWN_EVENT'],
    ['{"event":"media"}', 'TWILIO_BAD_FIELD'],
    ['{"event":"media","media":{"payload":""}}', 'TWILIO_BAD_FIELD'],
    ['{"event":"media","media":{"payload":"not base64!"}}', 'TWILIO_BAD_FIELD'],
    ['{"event":"media","media":{"payload":12}}', 'TWILIO_BAD_FIELD'],
    ['{"event":"mark","mark":{}}', 'TWILIO_BAD_FIELD'],
    ['{"event":"mark","mark":{"name":""}}', 'TWILIO_BAD_FIELD'],
    [JSON.stringify({ event: 'mark', mark: { name: 'x'.repeat(257) } }), 'TWILIO_BAD_FIELD'],
  ])('refuses %s with %s', (text, code) => {
    const err = (() => {
      try {
        s.parse(text);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TwilioMessageError);
    expect((err as TwilioMessageError).code).toBe(code);
  });
});

describe('twilioSids', () => {
  it('gives Twilio-shaped SIDs, stable per call and distinct between calls', () => {
    const a = twilioSids({ callId: 'c-1', streamId: 's-1' });
    expect(a.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(a.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(a.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(twilioSids({ callId: 'c-1', streamId: 's-1' })).toEqual(a);
    const b = twilioSids({ callId: 'c-2', streamId: 's-2' });
    expect(b.callSid).not.toBe(a.callSid);
    expect(b.streamSid).not.toBe(a.streamSid);
    expect(b.accountSid).toBe(a.accountSid);
  });
});
