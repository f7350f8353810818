/**
 * The REST API's view of the call core: `CallControl` (what the routes need) over the core's registry and control
 * (`call/control.ts`), the trunk registrations and the configured trunks. Translates at the boundary: the core's
 * summaries and refusal codes become the API's schema and its problem codes; nothing here touches SIP or media.
 */
import { CallControlError as CoreError, type CallControl as CoreControl } from '../call/control.js';
import type { CallSummary as CoreSummary } from '../call/registry.js';
import type { TrunkConfig } from '../config.js';
import type { RegistrationStatus } from '../registration/index.js';
import { CallControlError, type CallControl, type CallFilter, type CallSummary, type PlaceCallRequest, type TrunkState } from './call-control.js';
import type { AgentKind, ForwardRequestBody, MonitorRequestBody, MonitorStateBody } from './schemas.js';

export interface CoreAdapterOptions {
  control: CoreControl;
  trunks: readonly TrunkConfig[];
  registrations: () => readonly RegistrationStatus[];
  /** The built-in agents' names (`echo`, `demo`): shown as kind `builtin`. */
  builtins: readonly string[];
}

export class CoreCallControl implements CallControl {
  constructor(private readonly options: CoreAdapterOptions) {}

  listCalls(filter: CallFilter): CallSummary[] {
    return this.options.control.list(filter).map((s) => this.summary(s));
  }

  recentlyEnded(): CallSummary[] {
    return this.options.control.ended().map((s) => this.summary(s));
  }

  getCall(id: string): CallSummary | undefined {
    const s = this.options.control.get(id);
    return s === undefined ? undefined : this.summary(s);
  }

  async placeCall(req: PlaceCallRequest): Promise<CallSummary> {
    const trunk = req.trunk ?? this.defaultTrunk();
    const placed = await translate(() =>
      this.options.control.placeCall({
        to: req.to,
        from: req.from ?? '',
        trunk: trunk ?? '',
        agent: req.agent,
        ...(req.parameters === undefined ? {} : { parameters: req.parameters }),
        ...(req.ringTimeoutS === undefined ? {} : { ringTimeoutMs: req.ringTimeoutS * 1000 }),
        ...(req.number === undefined ? {} : { number: req.number }),
      }),
    );
    return this.summary(placed);
  }

  async hangup(id: string): Promise<void> {
    const live = this.options.control.get(id);
    // An inbound call before our answer has an INVITE to refuse: not the API's to end until the core offers it.
    if (live !== undefined && live.direction === 'inbound' && live.status === 'ringing') {
      throw new CallControlError('CALL_NOT_ANSWERED', `call '${id}' is not answered yet`);
    }
    await translate(async () => this.options.control.hangup(id));
  }

  async transfer(id: string, target: string): Promise<void> {
    await translate(async () => this.options.control.transfer(id, target));
  }

  async forward(id: string, request: ForwardRequestBody): Promise<void> {
    const to = typeof request.to === 'string' ? [request.to] : request.to;
    await translate(async () => this.options.control.forward(id, { to, trunk: request.trunk, strategy: request.strategy, ringTimeoutMs: request.ringTimeoutS * 1000, onPersonHangup: request.onPersonHangup }));
  }

  async monitor(id: string, request: MonitorRequestBody): Promise<MonitorStateBody> {
    return translate(async () => this.options.control.monitor(id, request));
  }

  async monitorMode(id: string, mode: MonitorRequestBody['mode']): Promise<MonitorStateBody> {
    return translate(async () => this.options.control.monitorMode(id, mode));
  }

  async unmonitor(id: string): Promise<void> {
    await translate(async () => this.options.control.unmonitor(id));
  }

  async sendDtmf(id: string, digits: string, durationMs?: number): Promise<void> {
    await translate(async () => this.options.control.dtmf(id, digits, durationMs));
  }

  listTrunks(): TrunkState[] {
    const regs = new Map(this.options.registrations().map((r) => [r.trunk, r]));
    return this.options.trunks.map((t) => {
      const r = regs.get(t.name);
      const outbound = t.outbound;
      return {
        name: t.name,
        registration: {
          state: r === undefined || r.state === 'unregistered' ? 'none' : r.state,
          ...(r?.expiresAt === undefined ? {} : { expiresAt: new Date(r.expiresAt).toISOString() }),
          ...(r?.lastStatus === undefined ? {} : { lastStatus: r.lastStatus }),
        },
        ...(outbound === undefined
          ? {}
          : {
              outbound: {
                activeCalls: this.options.control.list({ direction: 'outbound', trunk: t.name }).filter((c) => c.endedAt === null).length,
                maxConcurrentCalls: outbound.maxConcurrentCalls,
                callsPerSecond: outbound.callsPerSecond,
              },
            }),
      };
    });
  }

  /** The only trunk with an outbound side, when there is exactly one. */
  private defaultTrunk(): string | undefined {
    const outbound = this.options.trunks.filter((t) => t.outbound !== undefined);
    return outbound.length === 1 ? outbound[0]?.name : undefined;
  }

  private summary(s: CoreSummary): CallSummary {
    return apiSummary(s, this.options.builtins);
  }
}

/** The core's summary of a call (or a record, which extends it) as the API's: absent instead of null, the API's agent kinds. */
export function apiSummary(s: CoreSummary, builtins: readonly string[]): CallSummary {
  return {
    id: s.id,
    direction: s.direction,
    status: s.status,
    from: s.from,
    to: s.to,
    ...(s.number === '' ? {} : { number: s.number }),
    ...(s.trunk === null ? {} : { trunk: s.trunk }),
    agent: { kind: apiAgentKind(s.agent.kind, builtins), target: s.agent.target },
    ...(s.codec === null ? {} : { codec: s.codec }),
    ...(s.srtp === undefined ? {} : { srtp: s.srtp }),
    createdAt: s.createdAt,
    ...(s.ringingAt === null ? {} : { ringingAt: s.ringingAt }),
    ...(s.answeredAt === null ? {} : { answeredAt: s.answeredAt }),
    ...(s.endedAt === null ? {} : { endedAt: s.endedAt }),
    ...(s.endReason === null ? {} : { endReason: s.endReason }),
    ...(s.disposition === null ? {} : { disposition: s.disposition }),
    ...(s.sipStatus === null ? {} : { sipStatus: s.sipStatus }),
  };
}

/** The core's agent kind (built-in name, `websocket`, `twilio`, adapter name; or already the API's) as the API's. */
export function apiAgentKind(kind: string, builtins: readonly string[]): AgentKind {
  if (kind === 'builtin' || kind === 'url' || kind === 'adapter' || kind === 'bridge') return kind;
  if (builtins.includes(kind)) return 'builtin';
  return kind === 'websocket' || kind === 'twilio' ? 'url' : 'adapter';
}

/** The core's refusal codes, as the API's (one table: api/errors.ts documents them). */
const CORE_CODES: Readonly<Record<CoreError['code'], CallControlError['code']>> = {
  CALL_NOT_FOUND: 'CALL_NOT_FOUND',
  CALL_NOT_ANSWERED: 'CALL_NOT_ANSWERED',
  CALL_BAD_DIGITS: 'DTMF_INVALID',
  CALL_TRANSFER_REFUSED: 'DESTINATION_NOT_ALLOWED',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  TRUNK_UNKNOWN: 'TRUNK_UNKNOWN',
  NUMBER_UNKNOWN: 'NUMBER_UNKNOWN',
  AGENT_INVALID: 'AGENT_INVALID',
  CALLER_ID_INVALID: 'CALLER_ID_INVALID',
  DESTINATION_NOT_ALLOWED: 'DESTINATION_NOT_ALLOWED',
  TRUNK_BUSY: 'TRUNK_BUSY',
  TRUNK_RATE_LIMITED: 'TRUNK_RATE_LIMITED',
  GATEWAY_BUSY: 'GATEWAY_BUSY',
  GATEWAY_DRAINING: 'GATEWAY_DRAINING',
  CALL_MONITOR_REFUSED: 'MONITOR_NONE',
};

async function translate<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CoreError) throw new CallControlError(apiCode(err), err.message, { cause: err, ...(err.retryAfterS === undefined ? {} : { retryAfterS: err.retryAfterS }) });
    throw err;
  }
}

/** A transfer refusal says why in `detail`: the destination policy's codes, one in progress, not answered. */
function apiCode(err: CoreError): CallControlError['code'] {
  if (err.code === 'CALL_MONITOR_REFUSED') {
    const d = err.detail;
    return d === 'MONITOR_ACTIVE' || d === 'MONITOR_UNREACHABLE' ? d : 'MONITOR_NONE';
  }
  if (err.code !== 'CALL_TRANSFER_REFUSED') return CORE_CODES[err.code];
  const detail = err.detail ?? '';
  if (detail === 'TRANSFER_IN_PROGRESS' || detail === 'CALL_NOT_ANSWERED' || detail === 'CALL_BRIDGED') return detail;
  if (detail === 'FORWARD_IN_PROGRESS') return 'TRANSFER_IN_PROGRESS';
  if (detail === 'CALL_ENDED') return 'CALL_NOT_FOUND';
  return 'DESTINATION_NOT_ALLOWED';
}
