/**
 * SIP message serialiser: the inverse of `parseMessage` for well-formed input.
 *
 * Start line and headers are written exactly as stored (`${name}: ${value}\r\n`), then the empty line and the
 * body. Content-Length always tells the truth: the first Content-Length header (long or compact name) keeps its
 * name and position and gets the real body length, further ones are dropped, and when there is none
 * `Content-Length: N` is appended. A parsed well-formed message therefore serialises back byte for byte.
 *
 * CR or LF inside a method, URI, reason, header name or value would let whoever supplied that text inject headers
 * or a body; that throws SipError(500, code SIP_UNSERIALIZABLE) instead.
 */

import { SipError, SipErrorCode } from './errors.js';
import { headerName } from './message.js';
import type { SipMessage } from './message.js';

function hasLineBreak(s: string): boolean {
  return s.includes('\n') || s.includes('\r');
}

function refuse(what: string): SipError {
  return new SipError(500, `Server Internal Error - Line break in ${what}`, { code: SipErrorCode.Unserializable });
}

/** Serialise a message to wire bytes. Throws SipError(500) for CR/LF inside any start-line element or header. */
export function serializeMessage(msg: SipMessage): Buffer {
  let head: string;
  if (msg.kind === 'request') {
    if (hasLineBreak(msg.method) || hasLineBreak(msg.uri)) throw refuse('Request-Line');
    head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  } else {
    if (hasLineBreak(msg.reason)) throw refuse('reason phrase');
    head = `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  const length = msg.body.length;
  let wroteLength = false;
  for (const h of msg.headers) {
    if (hasLineBreak(h.name) || hasLineBreak(h.value)) throw refuse(`header ${JSON.stringify(h.name)}`);
    if ((h.name.length === 1 || h.name.length === 14) && headerName(h.name) === 'content-length') {
      if (!wroteLength) head += `${h.name}: ${length}\r\n`;
      wroteLength = true;
      continue;
    }
    head += `${h.name}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${length}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headBytes);
  return out;
}
