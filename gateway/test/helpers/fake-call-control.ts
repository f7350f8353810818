/**
 * An in-memory CallControl for tests: calls are plain summaries, every request is recorded, and `fail` makes the
 * next call of a method throw a CallControlError. It follows the interface's contract (live calls only, filters,
 * destination rules as an allow-list of prefixes) so the API's tests check the API, not the fake.
 */
import { CallControlError, type CallControl, type CallControlErrorCode, type CallFilter, type CallSummary, type PlaceCallRequest, type TrunkState } from '../../src/api/call-control.js';
import type { ForwardRequestBody, MonitorRequestBody, MonitorStateBody } from '../../src/api/schemas.js';

type Method = 'placeCall' | 'hangup' | 'transfer' | 'sendDtmf' | 'forward' | 'monitor' | 'monitorMode' | 'unmonitor';

export class FakeCallControl implements CallControl {
  readonly calls = new Map<string, CallSummary>();
  /** Recently ended calls, oldest first (`end` moves a call here). */
  readonly ended = new Map<string, CallSummary>();
  readonly placed: PlaceCallRequest[] = [];
  readonly requests: { method: Method; id?: string; arg?: string }[] = [];
  trunks: TrunkState[] = [{ name: 'carrier', registration: { state: 'registered', expiresAt: '2030-01-01T00:00:00.000Z' }, outbound: { activeCalls: 0, maxConcurrentCalls: 10, callsPerSecond: 5 } }];
  /** Destinations placeCall and transfer accept (prefixes); nothing else. */
  allow: string[] = ['+1555'];
  /** When set, placeCall waits for it (a request still in progress). */
  gate: Promise<void> | undefined;
  private readonly failures = new Map<Method, { code: CallControlErrorCode; retryAfterS?: number }>();
  private nextId = 1;

  fail(method: Method, code: CallControlErrorCode, retryAfterS?: number): void {
    this.failures.set(method, retryAfterS === undefined ? { code } : { code, retryAfterS });
  }

  add(call: Partial<CallSummary> & Pick<CallSummary, 'id'>): CallSummary {
    const full: CallSummary = { direction: 'inbound', status: 'answered', from: '+15550100001', to: '+15550100002', agent: { kind: 'builtin', target: 'echo' }, createdAt: new Date(0).toISOString(), ...call };
    this.calls.set(full.id, full);
    return full;
  }

  listCalls(filter: CallFilter): CallSummary[] {
    return [...this.calls.values()].filter(
      (c) =>
        (filter.direction === undefined || c.direction === filter.direction) &&
        (filter.status === undefined || c.status === filter.status) &&
        (filter.number === undefined || c.number === filter.number) &&
        (filter.trunk === undefined || c.trunk === filter.trunk),
    );
  }

  getCall(id: string): CallSummary | undefined {
    return this.calls.get(id) ?? this.ended.get(id);
  }

  recentlyEnded(): CallSummary[] {
    return [...this.ended.values()];
  }

  /** The call ends: no longer live, kept among the recently ended with `changes` (status, endedAt, ...). */
  end(id: string, changes: Partial<CallSummary>): void {
    const call = this.calls.get(id);
    if (call === undefined) throw new Error(`no live call '${id}'`);
    this.calls.delete(id);
    this.ended.set(id, { ...call, ...changes });
  }

  async placeCall(req: PlaceCallRequest): Promise<CallSummary> {
    this.requests.push({ method: 'placeCall', arg: req.to });
    this.throwIfFailing('placeCall');
    if (this.gate !== undefined) await this.gate;
    if (req.trunk !== undefined && !this.trunks.some((t) => t.name === req.trunk)) throw new CallControlError('TRUNK_UNKNOWN', `no trunk '${req.trunk}'`);
    if (!this.allow.some((p) => req.to.startsWith(p))) throw new CallControlError('DESTINATION_NOT_ALLOWED', `${req.to} is not in the allow-list`);
    this.placed.push(req);
    const agent = typeof req.agent === 'object' ? { kind: 'adapter' as const, target: req.agent.adapter } : req.agent?.startsWith('ws') ? { kind: 'url' as const, target: req.agent } : { kind: 'builtin' as const, target: req.agent ?? 'demo' };
    return this.add({
      id: `out-${this.nextId++}`,
      direction: 'outbound',
      status: 'queued',
      from: req.from ?? '+15550100000',
      to: req.to,
      agent,
      createdAt: new Date().toISOString(),
      ...(req.trunk === undefined ? {} : { trunk: req.trunk }),
      ...(req.number === undefined ? {} : { number: req.number }),
    });
  }

  async hangup(id: string): Promise<void> {
    this.requests.push({ method: 'hangup', id });
    this.throwIfFailing('hangup');
    if (!this.calls.delete(id)) throw new CallControlError('CALL_NOT_FOUND', `no live call '${id}'`);
  }

  async transfer(id: string, target: string): Promise<void> {
    this.requests.push({ method: 'transfer', id, arg: target });
    this.throwIfFailing('transfer');
    this.live(id);
    if (!this.allow.some((p) => target.startsWith(p))) throw new CallControlError('DESTINATION_NOT_ALLOWED', `${target} is not in the allow-list`);
  }

  async forward(id: string, request: ForwardRequestBody): Promise<void> {
    const to = typeof request.to === 'string' ? [request.to] : request.to;
    this.requests.push({ method: 'forward', id, arg: to.join(',') });
    this.throwIfFailing('forward');
    this.live(id);
    for (const t of to) if (!this.allow.some((p) => t.startsWith(p))) throw new CallControlError('DESTINATION_NOT_ALLOWED', `${t} is not in the allow-list`);
  }

  /** The supervisor of each call (by id), as the fake keeps it. */
  readonly monitors = new Map<string, MonitorStateBody>();

  async monitor(id: string, request: MonitorRequestBody): Promise<MonitorStateBody> {
    this.requests.push({ method: 'monitor', id, arg: request.mode });
    this.throwIfFailing('monitor');
    this.live(id);
    if (this.monitors.has(id)) throw new CallControlError('MONITOR_ACTIVE', 'the call already has a supervisor');
    const state: MonitorStateBody = { mode: request.mode, state: 'url' in request ? 'on' : 'ringing', callId: 'url' in request ? null : `${id}-supervisor` };
    this.monitors.set(id, state);
    return state;
  }

  async monitorMode(id: string, mode: MonitorRequestBody['mode']): Promise<MonitorStateBody> {
    this.requests.push({ method: 'monitorMode', id, arg: mode });
    this.live(id);
    const state = this.monitors.get(id);
    if (state === undefined) throw new CallControlError('MONITOR_NONE', 'the call has no supervisor');
    const next = { ...state, mode };
    this.monitors.set(id, next);
    return next;
  }

  async unmonitor(id: string): Promise<void> {
    this.requests.push({ method: 'unmonitor', id, arg: '' });
    this.live(id);
    if (!this.monitors.delete(id)) throw new CallControlError('MONITOR_NONE', 'the call has no supervisor');
  }

  async sendDtmf(id: string, digits: string): Promise<void> {
    this.requests.push({ method: 'sendDtmf', id, arg: digits });
    this.throwIfFailing('sendDtmf');
    this.live(id);
  }

  listTrunks(): TrunkState[] {
    return this.trunks;
  }

  private live(id: string): CallSummary {
    const call = this.calls.get(id);
    if (call === undefined) throw new CallControlError('CALL_NOT_FOUND', `no live call '${id}'`);
    if (call.status !== 'answered') throw new CallControlError('CALL_NOT_ANSWERED', `call '${id}' is ${call.status}`);
    return call;
  }

  private throwIfFailing(method: Method): void {
    const failure = this.failures.get(method);
    if (failure === undefined) return;
    this.failures.delete(method);
    throw new CallControlError(failure.code, `fake: ${failure.code}`, failure.retryAfterS === undefined ? {} : { retryAfterS: failure.retryAfterS });
  }
}
