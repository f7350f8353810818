/** Small helpers the fake provider servers share: bodies, JSON answers, paced streaming of bytes, request records. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pcmBytes, speechFor } from './tone.js';

/** One request a fake server answered, with `performance.now()` times. */
export interface RecordedRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  readonly receivedMs: number;
  firstByteMs: number | undefined;
  /** The response was completely written. */
  endedMs: number | undefined;
  /** The client closed the connection before the response was complete (an abort). */
  closedEarlyMs: number | undefined;
  /** Bytes of the response body written. */
  bytes: number;
}

export interface SpeechBehaviour {
  /** Milliseconds of audio per character of text (default 60). */
  readonly msPerChar?: number;
  /** Audio per chunk written (default 100 ms; chunks are cut at odd byte counts on purpose). */
  readonly chunkMs?: number;
  /** How much faster than real time the audio streams (default 20). */
  readonly speed?: number;
  /** Answer every request with this HTTP status instead. */
  readonly status?: number;
}

const MAX_BODY_BYTES = 1_000_000;

export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function record(req: IncomingMessage, body: Record<string, unknown>): RecordedRequest {
  const url = new URL(req.url ?? '/', 'http://fake');
  return { path: url.pathname, query: url.searchParams, headers: req.headers, body, receivedMs: performance.now(), firstByteMs: undefined, endedMs: undefined, closedEarlyMs: undefined, bytes: 0 };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Tracks the response: first byte, normal end, or the client going away first. */
export function watch(res: ServerResponse, rec: RecordedRequest, onClose: () => void): void {
  res.on('close', () => {
    if (rec.endedMs === undefined) rec.closedEarlyMs = performance.now();
    onClose();
  });
}

export function write(res: ServerResponse, rec: RecordedRequest, data: string | Uint8Array): void {
  if (rec.firstByteMs === undefined) rec.firstByteMs = performance.now();
  rec.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  res.write(data);
}

export function finish(res: ServerResponse, rec: RecordedRequest): void {
  rec.endedMs = performance.now();
  res.end();
}

/**
 * Streams the fake speech for `text` (a tone, `msPerChar` per character) as raw PCM16 LE, paced `speed` times faster
 * than real time. The first chunk goes out at once.
 */
export function streamSpeech(res: ServerResponse, rec: RecordedRequest, text: string, behaviour: SpeechBehaviour): void {
  const bytes = pcmBytes(speechFor(text, behaviour.msPerChar ?? 60));
  const chunkMs = behaviour.chunkMs ?? 100;
  const chunkBytes = chunkMs * 48 + 1;
  const intervalMs = chunkMs / (behaviour.speed ?? 20);
  let offset = 0;
  let timer: NodeJS.Timeout | undefined;
  watch(res, rec, () => clearTimeout(timer));
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' });
  const next = (): void => {
    if (res.destroyed) return;
    if (offset >= bytes.length) {
      finish(res, rec);
      return;
    }
    write(res, rec, bytes.subarray(offset, offset + chunkBytes));
    offset += chunkBytes;
    timer = setTimeout(next, intervalMs);
  };
  next();
}
