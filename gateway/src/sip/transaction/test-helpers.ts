/**
 * Builders shared by the transaction and stack tests (not part of the public API).
 */
import { pino } from 'pino';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { resolveTimers, type TimerOptions } from './timers.js';
import type { TerminationReason, TransactionEnv } from './types.js';

export interface RequestSpec {
  method?: string;
  uri?: string;
  branch?: string;
  sentBy?: string;
  /** Extra Via params, e.g. `;rport`. */
  viaParams?: string;
  transport?: 'UDP' | 'TCP';
  fromTag?: string;
  toTag?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  extra?: SipHeader[];
}

export function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? 'INVITE';
  const branch = spec.branch ?? 'z9hG4bKabc123';
  const branchParam = branch === '' ? '' : `;branch=${branch}`;
  const headers: SipHeader[] = [
    {
      name: 'Via',
      value: `SIP/2.0/${spec.transport ?? 'UDP'} ${spec.sentBy ?? '192.0.2.10:5060'}${branchParam}${spec.viaParams ?? ''}`,
    },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<sip:alice@example.com>;tag=${spec.fromTag ?? 'from1'}` },
    { name: 'To', value: `<sip:bob@example.com>${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}` },
    { name: 'Call-ID', value: spec.callId ?? 'call-1@example.com' },
    { name: 'CSeq', value: `${spec.cseq ?? 1} ${spec.cseqMethod ?? method}` },
    ...(spec.extra ?? []),
    { name: 'Content-Length', value: '0' },
  ];
  return { kind: 'request', method, uri: spec.uri ?? 'sip:bob@example.com', headers, body: Buffer.alloc(0) };
}

export function reply(req: SipRequest, status: number, toTag?: string): SipResponse {
  return createResponse(req, status, toTag === undefined ? {} : { toTag });
}

export interface Sent {
  readonly atMs: number;
  readonly msg: SipMessage;
}

export interface FakeEnv extends TransactionEnv {
  readonly sent: Sent[];
  readonly terminations: TerminationReason[];
  /** Make every later send reject. */
  failSends(): void;
}

/** A TransactionEnv that records what is sent, with the (fake) clock time of each send. */
export function fakeEnv(reliable: boolean, timers: TimerOptions = {}): FakeEnv {
  const sent: Sent[] = [];
  const terminations: TerminationReason[] = [];
  let failing = false;
  return {
    reliable,
    timers: resolveTimers(timers),
    logger: pino({ level: 'silent' }),
    sent,
    terminations,
    failSends: () => {
      failing = true;
    },
    send: (msg) => {
      if (failing) return Promise.reject(new Error('network down'));
      sent.push({ atMs: Date.now(), msg });
      return Promise.resolve();
    },
    onTerminated: (reason) => {
      terminations.push(reason);
    },
  };
}

/** Status codes (responses) or methods (requests) of what was sent. */
export function summary(sent: readonly Sent[]): (number | string)[] {
  return sent.map((s) => (s.msg.kind === 'response' ? s.msg.status : s.msg.method));
}

/** Gaps in ms between consecutive sends. */
export function gaps(sent: readonly Sent[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < sent.length; i++) out.push((sent[i]?.atMs ?? 0) - (sent[i - 1]?.atMs ?? 0));
  return out;
}
