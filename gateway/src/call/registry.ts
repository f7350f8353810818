/**
 * The calls the gateway carries, inbound and outbound alike: by our id (the media plane's events, the API) and by
 * dialog key (requests inside a dialog), from creation to end. Ended calls' summaries stay readable for a while
 * (the most recent `keepEnded`), so an API client can see how a call it placed or watched ended.
 */
import type { Call } from './call.js';
import type { CallDirection } from './plan.js';
import { agentKind } from './plan.js';
import { dispositionOf, type CallStatus, type Disposition, type EndReason } from './vocabulary.js';

/** A call as the API serves it. Times are ISO 8601 (UTC); numbers are as normalised at admission. */
export interface CallSummary {
  id: string;
  direction: CallDirection;
  status: CallStatus;
  from: string;
  to: string;
  /** The routing pattern the called (inbound) or requested (outbound) number matched. */
  number: string;
  trunk: string | null;
  /** `kind`: built-in name, `websocket`, `twilio` or an adapter name; `target`: what it names (a WebSocket agent's URL without credentials or query). */
  agent: { kind: string; target: string };
  codec: string | null;
  /**
   * The SRTP suite of the call's media (docs/srtp.md); absent for plain RTP, before the media is negotiated, and in
   * stored records (live calls only).
   */
  srtp?: string;
  createdAt: string;
  ringingAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  endReason: EndReason | null;
  disposition: Disposition | null;
  sipStatus: number | null;
}

export interface CallFilter {
  direction?: CallDirection;
  status?: CallStatus;
  /** Routing pattern. */
  number?: string;
  trunk?: string;
}

export class CallRegistry {
  private readonly byKey = new Map<string, Call>();
  private readonly byId = new Map<string, Call>();
  /** Summaries of ended calls, oldest first, at most `keepEnded`. */
  private readonly ended = new Map<string, CallSummary>();

  constructor(private readonly keepEnded = 1000) {}

  /** Live calls. */
  get size(): number {
    return this.byId.size;
  }

  add(call: Call): void {
    this.byKey.set(call.key, call);
    this.byId.set(call.id, call);
  }

  /** The dialog key changed (an outbound call learns the far end's tag from its answer). */
  rekey(call: Call, key: string): void {
    if (this.byKey.get(call.key) === call) this.byKey.delete(call.key);
    call.key = key;
    if (this.byId.has(call.id)) this.byKey.set(key, call);
  }

  /** The call ended: no longer live; its summary is kept among the recent ones. */
  remove(call: Call): void {
    if (this.byKey.get(call.key) === call) this.byKey.delete(call.key);
    this.byId.delete(call.id);
    this.ended.set(call.id, summarize(call));
    if (this.ended.size > this.keepEnded) {
      const oldest = this.ended.keys().next();
      if (oldest.done !== true) this.ended.delete(oldest.value);
    }
  }

  byDialog(key: string): Call | undefined {
    return this.byKey.get(key);
  }

  live(id: string): Call | undefined {
    return this.byId.get(id);
  }

  liveCalls(): Call[] {
    return [...this.byId.values()];
  }

  /** Live calls matching `filter`, oldest first. */
  list(filter: CallFilter = {}): CallSummary[] {
    return this.liveCalls().map(summarize).filter((s) => matches(s, filter));
  }

  /** The recently ended calls' summaries (at most `keepEnded`), oldest first. */
  recentlyEnded(): CallSummary[] {
    return [...this.ended.values()];
  }

  /** A live call, or a recently ended one. */
  get(id: string): CallSummary | undefined {
    const call = this.byId.get(id);
    return call ? summarize(call) : this.ended.get(id);
  }
}

function srtpOf(call: Call): { srtp?: string } {
  const suite = call.sdp?.negotiated?.srtp?.local.suite;
  return suite === undefined ? {} : { srtp: suite };
}

export function summarize(call: Call): CallSummary {
  const { plan, times } = call;
  const answered = times.answeredAt !== undefined;
  const disposition = call.endReason === undefined ? null : dispositionOf(call.endReason, answered);
  return {
    id: call.id,
    direction: call.direction,
    status: disposition ?? liveStatus(call),
    from: plan.from,
    to: plan.to,
    number: plan.pattern,
    trunk: plan.trunk ?? null,
    agent: { kind: agentKind(plan.agent), target: agentTarget(call) },
    codec: call.sdp?.negotiated?.codec.name ?? null,
    ...srtpOf(call),
    createdAt: iso(times.createdAt),
    ringingAt: isoOrNull(times.ringingAt),
    answeredAt: isoOrNull(times.answeredAt),
    endedAt: isoOrNull(times.endedAt),
    endReason: call.endReason ?? null,
    disposition,
    sipStatus: call.sipStatus ?? null,
  };
}

function liveStatus(call: Call): CallStatus {
  if (call.state === 'answered' || call.state === 'confirmed') return 'answered';
  return call.state === 'ringing' ? 'ringing' : 'queued';
}

function agentTarget(call: Call): string {
  const a = call.plan.agent;
  switch (a.kind) {
    case 'builtin':
      return a.name;
    case 'url':
      return redactUrl(a.url);
    case 'adapter':
      return a.adapter;
    case 'bridge':
      return a.peer ?? '';
    case 'unknown':
      return a.name;
  }
}

function matches(s: CallSummary, f: CallFilter): boolean {
  return (
    (f.direction === undefined || s.direction === f.direction) &&
    (f.status === undefined || s.status === f.status) &&
    (f.number === undefined || s.number === f.number) &&
    (f.trunk === undefined || s.trunk === f.trunk)
  );
}

/** An agent URL without credentials or query (tokens live there). */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '';
  }
}

const iso = (epochMs: number): string => new Date(Math.round(epochMs)).toISOString();
const isoOrNull = (epochMs: number | undefined): string | null => (epochMs === undefined ? null : iso(epochMs));
