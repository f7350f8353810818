/**
 * The call counters for `GET /stats` and `/metrics`, and the per-number barge-in summaries: kept by subscribing to
 * the call lifecycle stream (`countCallEvents`), plus the SIP-side counts the controller adds (refusals by status,
 * authentication, transfers refused, teardown errors).
 */
import type { BargeInStats } from '../media/barge-in.js';
import type { CallEvents } from './events.js';

/** Barge-in outcomes of one number (routing pattern), for the bench and operators. */
export interface BargeInSummary {
  interruptions: number;
  /** Onsets a neural confirmer (speech.confirm) believed / rejected. */
  confirmed: number;
  rejected: number;
  falseBargeIns: number;
  /** Reaction times (onset packet's arrival → last agent packet), most recent 1,000. */
  reactionMs: number[];
}

export interface CallStats {
  bargeIn: Record<string, BargeInSummary>;
  callsStarted: number;
  callsAnswered: number;
  callsEnded: number;
  /** Requests refused, by status (initial INVITEs and in-dialog requests alike). */
  rejected: Record<string, number>;
  /** Initial INVITEs refused, by status (a CANCEL's 487 is no refusal: those calls end as `cancelled`). */
  invitesRefused: Record<string, number>;
  endReasons: Record<string, number>;
  /** Agents' transfer targets refused by the destination policy, by refusal code (DESTINATION_NOT_ALLOWED, ...). */
  transfersRefused: Record<string, number>;
  /** Digest authentication at admission (admission.ts). */
  auth: AuthStats;
  /** Steps of calls' teardown that threw (each logged with its call id); the rest of each release went on. */
  teardownErrors: number;
  /** Agents that could not be reached, by AgentConnectError code (`AGENT_TLS`: a wss:// agent's TLS failed). */
  agentConnectFailures: Record<string, number>;
}

/** Digest authentication of initial INVITEs. The precise causes are here and in logs only, never on the wire. */
export interface AuthStats {
  /** 401 challenges sent (no credentials, stale or spent nonce, replay). */
  challenges: number;
  /** Failed attempts by AuthFailureCause (`unknown-user`, `bad-response`, `locked-out`, ...: admission.ts). */
  failures: Record<string, number>;
  /** Lockouts begun: a source reached `sip.authThrottle.maxFailures`. */
  lockouts: number;
}

export function newCallStats(): CallStats {
  return { bargeIn: {}, callsStarted: 0, callsAnswered: 0, callsEnded: 0, rejected: {}, invitesRefused: {}, endReasons: {}, transfersRefused: {}, auth: newAuthStats(), teardownErrors: 0, agentConnectFailures: {} };
}

/** Keeps `stats`' call counters from the lifecycle stream. */
export function countCallEvents(events: CallEvents, stats: CallStats): void {
  events.on('created', () => {
    stats.callsStarted++;
  });
  events.on('answered', () => {
    stats.callsAnswered++;
  });
  events.on('refused', (e) => {
    if (e.sipStatus !== 487) stats.invitesRefused[String(e.sipStatus)] = (stats.invitesRefused[String(e.sipStatus)] ?? 0) + 1;
  });
  events.on('ended', (e) => {
    stats.callsEnded++;
    stats.endReasons[e.reason] = (stats.endReasons[e.reason] ?? 0) + 1;
  });
  events.on('media-ended', (e) => recordBargeIn(stats, e.pattern, e.bargeIn));
  events.on('agent-connect', (e) => {
    const code = e.report?.failure?.code;
    if (code !== undefined) stats.agentConnectFailures[code] = (stats.agentConnectFailures[code] ?? 0) + 1;
  });
}

export function newAuthStats(): AuthStats {
  return { challenges: 0, failures: {}, lockouts: 0 };
}

/** A call's media closed: adds its barge-in outcomes to its number's summary. */
export function recordBargeIn(stats: CallStats, pattern: string, b: BargeInStats): void {
  if (b.onsets === 0 && b.rejectedByConfirmer === 0) return;
  const summary = (stats.bargeIn[pattern] ??= { interruptions: 0, confirmed: 0, rejected: 0, falseBargeIns: 0, reactionMs: [] });
  summary.interruptions += b.interruptions;
  summary.confirmed += b.confirmedByConfirmer;
  summary.rejected += b.rejectedByConfirmer;
  summary.falseBargeIns += b.falseBargeIns;
  summary.reactionMs.push(...b.reactionMs);
  if (summary.reactionMs.length > 1000) summary.reactionMs.splice(0, summary.reactionMs.length - 1000);
}
