/**
 * Forwarding: a caller rings people (`forward:` of a number) before, or instead of, its agent. The gateway is a
 * B2BUA: each person is a call leg it places through an outbound trunk (its own codec, its own dialog), and once one
 * answers, the caller's call is answered and the two legs' media are joined (bridge/junction.ts), so each side hears
 * the other through the 24 kHz core and DTMF crosses. Either side hanging up ends the other (`peer-hangup`).
 *
 *   dial:   sequential: target 1 rings ringTimeout → no-answer/busy/failed → target 2 → …
 *           simultaneous: every target rings; the first to answer wins, the rest are cancelled (`answered-elsewhere`)
 *           the caller hangs up meanwhile: every leg is cancelled (`peer-hangup`)
 *   bridge: both legs connected → MediaPlane.join; hang-up linkage until either ends
 *
 * Over narrow seams only: the call core's lifecycle events (answered, ended), the outbound side's `placeCall` with a
 * bridge leg, a way to end a live call with a reason, and the media plane's `join`. Nothing here touches SIP.
 *
 *   person hangs up first: the caller's call ends (`peer-hangup`), or, when its plan says `onPersonHangup: agent`,
 *   goes back to its agent (MediaPlane.takeBack: dialled again with `start.resume{cause: 'person-hangup'}`); an agent
 *   that cannot be reached then ends it as `end` would have.
 */
import type { GatewayMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { Call } from '../call/call.js';
import type { CallEvents } from '../call/events.js';
import type { PlaceCallRequest } from '../call/control.js';
import type { BridgeLeg } from '../call/outbound.js';
import { unbridgedPlan, type CallPlan, type ForwardPlan } from '../call/plan.js';
import type { CallSummary } from '../call/registry.js';
import type { TakeBackOutcome } from '../media-plane/plane.js';
import type { EndReason } from '../call/vocabulary.js';

/** How one person's leg went. */
export interface ForwardAttempt {
  readonly to: string;
  readonly trunk: string;
  /** The leg's call id (absent: it could not be placed). */
  readonly callId?: string;
  /** `answered`, or the leg's end reason (`no-answer`, `busy`, `declined`, `failed`, `answered-elsewhere`, ...), or `refused` (not placed). */
  readonly outcome: 'answered' | EndReason | 'refused';
  /** Why a leg was not placed (the outbound side's refusal code, e.g. TRUNK_BUSY). */
  readonly code?: string;
  /** When the attempt settled (epoch ms). */
  readonly atMs: number;
}

export type ForwardOutcome =
  | { readonly kind: 'answered'; readonly legId: string; readonly attempts: readonly ForwardAttempt[] }
  /** Nobody answered; `allBusy`: every leg that rang was busy (the caller is told 486 rather than 480). */
  | { readonly kind: 'failed'; readonly allBusy: boolean; readonly attempts: readonly ForwardAttempt[] }
  /** The caller's call ended while the people rang. */
  | { readonly kind: 'cancelled'; readonly attempts: readonly ForwardAttempt[] };

export interface ForwardingOptions {
  readonly events: CallEvents;
  readonly placeCall: (request: PlaceCallRequest, leg: BridgeLeg) => Promise<CallSummary>;
  /** Ends a live call (BYE when answered, CANCEL when ringing); nothing when it has ended. */
  readonly end: (callId: string, reason: EndReason) => void;
  readonly join: (a: string, b: string) => Promise<boolean>;
  /** A live call's agent leaves and the call becomes a bridged leg (MediaPlane.handOver). */
  readonly handOver?: ((callId: string) => Promise<boolean>) | undefined;
  /** Tells a live call's agent (a forward of its call that found nobody: `error{transfer_failed}`). */
  readonly tellAgent?: ((callId: string, msg: GatewayMessage) => void) | undefined;
  /**
   * A bridged call whose person hung up gets an agent again, as `plan` says (MediaPlane.takeBack): `agent`, or the
   * apology when the agent cannot be reached and the plan says so; `none`: it could not (the call then ends
   * `peer-hangup`). Absent: every bridge ends with either side.
   */
  readonly takeBack?: ((callId: string, plan: CallPlan) => Promise<TakeBackOutcome>) | undefined;
  readonly logger: Logger;
}

type LegResult = { readonly kind: 'answered' } | { readonly kind: 'ended'; readonly reason: EndReason };

export class Forwarder {
  /** Legs being dialled: their answer or end settles the waiter. */
  private readonly legs = new Map<string, (r: LegResult) => void>();
  /** Callers whose people are ringing: their end stops the dialling. */
  private readonly callers = new Map<string, () => void>();
  /** Joined calls: each one's end ends the other (or, for a caller whose plan says so, gives it its agent back). */
  private readonly peers = new Map<string, string>();
  /** The callers of joined calls (the side that may go back to its agent), by id. */
  private readonly bridgedCallers = new Map<string, Call>();
  /** Legs that answered and have not ended (a leg may hang up before its caller is answered). */
  private readonly answeredLegs = new Set<string>();
  /** Live calls whose people are ringing (`forwardLive`): one forward at a time. */
  private readonly liveForwards = new Set<string>();

  constructor(private readonly options: ForwardingOptions) {
    options.events.on('answered', (e) => {
      const settle = this.legs.get(e.call.id);
      if (settle === undefined) return;
      this.answeredLegs.add(e.call.id);
      settle({ kind: 'answered' });
    });
    options.events.on('ended', (e) => {
      const id = e.call.id;
      this.answeredLegs.delete(id);
      this.legs.get(id)?.({ kind: 'ended', reason: e.reason });
      this.callers.get(id)?.();
      const peer = this.peers.get(id);
      this.bridgedCallers.delete(id);
      if (peer !== undefined) {
        this.peers.delete(id);
        this.peers.delete(peer);
        const caller = this.bridgedCallers.get(peer);
        this.bridgedCallers.delete(peer);
        const back = caller === undefined || options.takeBack === undefined ? undefined : unbridgedPlan(caller.plan);
        if (caller !== undefined && back !== undefined) void this.backToAgent(caller, back, id);
        else options.end(peer, 'peer-hangup');
      }
    });
  }

  /** The person (`legId`) hung up and the caller's plan says it goes back to its agent. */
  private async backToAgent(caller: Call, plan: CallPlan, legId: string): Promise<void> {
    const log = this.options.logger.child({ callId: caller.id, layer: 'forwarding' });
    const began = performance.now();
    const back = await this.options.takeBack?.(caller.id, plan).catch((err: unknown): TakeBackOutcome => (this.failed('giving the caller its agent back', caller.id, err), 'none'));
    const connectMs = Math.round(performance.now() - began);
    if ((back === 'agent' || back === 'apology') && caller.state !== 'ended') {
      caller.plan = plan;
      log.info({ legId, connectMs, outcome: back }, back === 'agent' ? 'the person hung up: the caller is back with its agent' : 'the person hung up and the agent cannot be reached: the apology ends the call');
      this.options.events.emit({ type: 'unbridged', call: caller, legId, outcome: back, connectMs });
      return;
    }
    if (caller.state === 'ended') return;
    log.warn({ legId }, 'the person hung up and the agent could not take the caller back: ending the call');
    this.options.events.emit({ type: 'unbridged', call: caller, legId, outcome: 'ended', connectMs });
    this.options.end(caller.id, 'peer-hangup');
  }

  /** Rings the plan's people for `caller`, as its strategy says; settles when one answers, all failed, or the caller left. */
  async dial(caller: Call, plan: ForwardPlan): Promise<ForwardOutcome> {
    const log = this.options.logger.child({ callId: caller.id, layer: 'forwarding' });
    const gone = new Promise<'gone'>((resolve) => this.callers.set(caller.id, () => resolve('gone')));
    try {
      const outcome = plan.strategy === 'simultaneous' ? await this.simultaneous(caller, plan, gone) : await this.sequential(caller, plan, gone);
      log.info({ outcome: outcome.kind, attempts: outcome.attempts.map(({ to: _to, ...a }) => a) }, 'forwarding finished');
      this.options.events.emit({ type: 'forwarded', call: caller, outcome: outcome.kind, attempts: outcome.attempts });
      return outcome;
    } finally {
      this.callers.delete(caller.id);
    }
  }

  /**
   * Forwards a live (answered) call: the people ring while the caller stays with its agent; the first to answer
   * takes over from the agent (it gets `stop{reason: 'transferred'}`) and is bridged with the caller. Nobody answers:
   * the call goes on with its agent, which gets `error{code: 'transfer_failed'}`. Resolves when it is decided.
   */
  async forwardLive(caller: Call, plan: ForwardPlan): Promise<ForwardOutcome> {
    this.liveForwards.add(caller.id);
    try {
      const outcome = await this.dial(caller, plan);
      if (outcome.kind === 'cancelled') return outcome;
      if (outcome.kind === 'answered') {
        const handed = (await this.options.handOver?.(caller.id).catch((err: unknown) => this.failed('handing the call over', caller.id, err))) === true && caller.state !== 'ended';
        if (handed && (await this.bridge(caller, outcome.legId))) return outcome;
        // The caller's media could not be handed over (it ended meanwhile): the person is not left on a dead line.
        this.options.end(outcome.legId, 'peer-hangup');
        return { kind: 'failed', allBusy: false, attempts: outcome.attempts };
      }
      this.options.tellAgent?.(caller.id, { type: 'error', code: 'transfer_failed', message: 'forward: nobody answered' });
      return outcome;
    } finally {
      this.liveForwards.delete(caller.id);
    }
  }

  /** A live call with people ringing for it (`forwardLive`). */
  forwarding(callId: string): boolean {
    return this.liveForwards.has(callId);
  }

  /**
   * Joins the answered leg with the caller (both connected) and ties their ends together; false when the leg has
   * ended meanwhile (the caller is then refused as if nobody answered).
   */
  async bridge(caller: Call, leg: string): Promise<boolean> {
    if (!this.answeredLegs.has(leg)) return false;
    this.peers.set(caller.id, leg);
    this.peers.set(leg, caller.id);
    this.bridgedCallers.set(caller.id, caller);
    // A worker that died answers with a rejection: the same as not joined (the caller's and the leg's ends follow).
    const joined = await this.options.join(caller.id, leg).catch((err: unknown) => this.failed('joining the legs', caller.id, err));
    if (!joined) this.options.logger.error({ callId: caller.id, leg }, 'forwarding: the answered leg could not be joined with the caller');
    return joined;
  }

  private failed(what: string, callId: string, err: unknown): false {
    this.options.logger.error({ err, callId }, `forwarding: ${what} failed`);
    return false;
  }

  private async sequential(caller: Call, plan: ForwardPlan, gone: Promise<'gone'>): Promise<ForwardOutcome> {
    const attempts: ForwardAttempt[] = [];
    for (const target of plan.targets) {
      const placed = await this.place(caller, plan, target, attempts);
      if (placed === undefined) continue;
      const result = await Promise.race([placed.result, gone]);
      if (result === 'gone') {
        this.options.end(placed.id, 'peer-hangup');
        attempts.push({ ...target, callId: placed.id, outcome: 'peer-hangup', atMs: Date.now() });
        return { kind: 'cancelled', attempts };
      }
      if (result.kind === 'answered') {
        attempts.push({ ...target, callId: placed.id, outcome: 'answered', atMs: Date.now() });
        return { kind: 'answered', legId: placed.id, attempts };
      }
      attempts.push({ ...target, callId: placed.id, outcome: result.reason, atMs: Date.now() });
    }
    return failed(attempts);
  }

  private async simultaneous(caller: Call, plan: ForwardPlan, gone: Promise<'gone'>): Promise<ForwardOutcome> {
    const attempts: ForwardAttempt[] = [];
    const placed = (await Promise.all(plan.targets.map((t) => this.place(caller, plan, t, attempts).then((p) => (p === undefined ? undefined : { ...p, target: t })))))
      .filter((p) => p !== undefined);
    const open = new Set(placed);
    let winner: string | undefined;
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        if (winner !== undefined || open.size === 0) resolve();
      };
      void gone.then(() => {
        for (const leg of open) {
          this.options.end(leg.id, 'peer-hangup');
          attempts.push({ ...leg.target, callId: leg.id, outcome: 'peer-hangup', atMs: Date.now() });
        }
        open.clear();
        resolve();
      });
      for (const leg of placed) {
        void leg.result.then((r) => {
          if (!open.has(leg)) return;
          open.delete(leg);
          if (r.kind === 'answered' && winner === undefined) {
            winner = leg.id;
            attempts.push({ ...leg.target, callId: leg.id, outcome: 'answered', atMs: Date.now() });
            for (const other of open) {
              this.options.end(other.id, 'answered-elsewhere');
              attempts.push({ ...other.target, callId: other.id, outcome: 'answered-elsewhere', atMs: Date.now() });
            }
            open.clear();
          } else if (r.kind === 'answered') {
            this.options.end(leg.id, 'answered-elsewhere'); // a second answer raced the first: not this caller's
            attempts.push({ ...leg.target, callId: leg.id, outcome: 'answered-elsewhere', atMs: Date.now() });
          } else attempts.push({ ...leg.target, callId: leg.id, outcome: r.reason, atMs: Date.now() });
          settle();
        });
      }
      settle();
    });
    if (caller.state === 'ended') return { kind: 'cancelled', attempts };
    return winner !== undefined ? { kind: 'answered', legId: winner, attempts } : failed(attempts);
  }

  /** Places one leg; undefined (an attempt recorded `refused`) when the outbound side refuses it. */
  private async place(caller: Call, plan: ForwardPlan, target: ForwardPlan['targets'][number], attempts: ForwardAttempt[]): Promise<{ id: string; result: Promise<LegResult> } | undefined> {
    if (caller.state === 'ended') return undefined;
    let summary: CallSummary;
    const request: PlaceCallRequest = { to: target.to, from: caller.plan.from, trunk: target.trunk, agent: undefined, ringTimeoutMs: plan.ringTimeoutMs };
    try {
      summary = await this.options.placeCall(request, { peer: caller.id, pattern: caller.plan.pattern });
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'error';
      this.options.logger.warn({ callId: caller.id, to: target.to, trunk: target.trunk, code, err }, 'forwarding: a leg could not be placed');
      attempts.push({ ...target, outcome: 'refused', code, atMs: Date.now() });
      return undefined;
    }
    // The leg may already have ended (a proxy that did not resolve ends it inside placeCall).
    if (summary.endReason !== null) return { id: summary.id, result: Promise.resolve({ kind: 'ended', reason: summary.endReason }) };
    const result = new Promise<LegResult>((resolve) => {
      this.legs.set(summary.id, (r) => {
        this.legs.delete(summary.id);
        resolve(r);
      });
    });
    return { id: summary.id, result };
  }
}

function failed(attempts: readonly ForwardAttempt[]): ForwardOutcome {
  const rang = attempts.filter((a) => a.outcome !== 'refused');
  return { kind: 'failed', allBusy: rang.length > 0 && rang.every((a) => a.outcome === 'busy'), attempts };
}
