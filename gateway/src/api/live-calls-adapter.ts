/**
 * TEMPORARY: CallControl over what the gateway has before the outbound call core (issue 12 §1-2). It watches the
 * controller's inbound calls through its CallObserver (a tee in front of the existing observer), and steers them
 * through the controller's public methods: hangup (of answered calls) and blind transfer work; placing calls, sending
 * DTMF and trunk registration answer NOT_IMPLEMENTED. The call core's own CallControl replaces this file.
 */
import type { Config } from '../config.js';
import type { Call, EndReason } from '../call/call.js';
import type { CallObserver } from '../call/call-observer.js';
import { transferDestinations } from '../call/call-transfer.js';
import { CallControlError, type CallControl, type CallFilter, type CallSummary, type TrunkState } from './call-control.js';
import type { CallStatus } from './schemas.js';

/** What the adapter asks of the call controller (`CallController.mediaHangup` / `mediaTransfer`). */
export interface LiveCallsHost {
  hangup(callId: string, reason: EndReason): void;
  transfer(callId: string, target: string): void;
}

interface Watched {
  readonly call: Call;
  readonly createdAt: string;
  answeredAt: string | undefined;
}

export class LiveCallsAdapter implements CallControl {
  /** Live calls by id: added at admission, removed at the end (so bounded by `sip.maxConcurrentCalls`). */
  private readonly live = new Map<string, Watched>();
  private readonly destinations: ReturnType<typeof transferDestinations>;

  constructor(
    private readonly config: Pick<Config, 'transfer' | 'numbers' | 'sip' | 'trunks'>,
    private readonly host: LiveCallsHost,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.destinations = transferDestinations(config);
  }

  /** An observer that tells `inner` everything and keeps the live calls' table. */
  observe(inner: CallObserver): CallObserver {
    return {
      admitted: (call) => {
        this.live.set(call.id, { call, createdAt: this.clock().toISOString(), answeredAt: undefined });
        inner.admitted(call);
      },
      agentConnect: (call, dialling) => inner.agentConnect(call, dialling),
      confirmed: (call) => {
        const w = this.live.get(call.id);
        if (w !== undefined) w.answeredAt ??= this.clock().toISOString();
        inner.confirmed(call);
      },
      inviteFailed: (call, status) => inner.inviteFailed(call, status),
      ended: (call) => {
        this.live.delete(call.id);
        inner.ended(call);
      },
    };
  }

  listCalls(filter: CallFilter): CallSummary[] {
    const out: CallSummary[] = [];
    for (const w of this.live.values()) {
      const s = this.summary(w);
      if (filter.direction !== undefined && s.direction !== filter.direction) continue;
      if (filter.status !== undefined && s.status !== filter.status) continue;
      if (filter.number !== undefined && s.number !== filter.number && s.to !== filter.number) continue;
      if (filter.trunk !== undefined && s.trunk !== filter.trunk) continue;
      out.push(s);
    }
    return out;
  }

  getCall(id: string): CallSummary | undefined {
    const w = this.live.get(id);
    return w === undefined ? undefined : this.summary(w);
  }

  async placeCall(): Promise<CallSummary> {
    throw new CallControlError('NOT_IMPLEMENTED', 'outbound calls are not available in this build yet');
  }

  async hangup(id: string): Promise<void> {
    const { call } = this.find(id);
    // Ending an inbound call before our answer would leave its INVITE unanswered here: refused until the call core.
    if (call.state !== 'answered' && call.state !== 'confirmed') throw new CallControlError('CALL_NOT_ANSWERED', `call '${id}' is not answered yet; it cannot be refused from the API in this build`);
    this.host.hangup(id, 'local-hangup');
  }

  async transfer(id: string, target: string): Promise<void> {
    const { call } = this.find(id);
    if (call.state !== 'answered' && call.state !== 'confirmed') throw new CallControlError('CALL_NOT_ANSWERED', `call '${id}' is not answered`);
    const checked = this.destinations(call).check(target);
    if (!checked.ok) throw new CallControlError('DESTINATION_NOT_ALLOWED', `transfer target refused: ${checked.reason} (${checked.code})`);
    this.host.transfer(id, target);
  }

  async sendDtmf(id: string): Promise<void> {
    this.find(id);
    throw new CallControlError('NOT_IMPLEMENTED', 'sending DTMF from the API is not available in this build yet');
  }

  listTrunks(): TrunkState[] {
    return this.config.trunks.map((t) => ({ name: t.name, registration: { state: 'none' } }));
  }

  private find(id: string): Watched {
    const w = this.live.get(id);
    if (w === undefined || w.call.state === 'ended') throw new CallControlError('CALL_NOT_FOUND', `no live call '${id}'`);
    return w;
  }

  private summary(w: Watched): CallSummary {
    const { call } = w;
    const a = call.admission;
    const codec = call.sdp?.negotiated?.codec.name;
    return {
      id: call.id,
      direction: 'inbound',
      status: statusOf(call),
      from: a.from,
      to: a.number,
      number: a.pattern,
      ...(a.trunk === undefined ? {} : { trunk: a.trunk }),
      agent: agentOf(a.route.agent),
      ...(codec === undefined ? {} : { codec }),
      createdAt: w.createdAt,
      ...(w.answeredAt === undefined ? {} : { answeredAt: w.answeredAt }),
    };
  }
}

function statusOf(call: Call): CallStatus {
  switch (call.state) {
    case 'admitted':
    case 'ringing':
      return 'ringing';
    case 'answered':
    case 'confirmed':
      return 'answered';
    case 'ended':
      return 'completed';
  }
}

/** The route's agent as the API shows it: a URL loses its query and credentials (tokens live there). */
export function agentOf(agent: string | { adapter: string }): CallSummary['agent'] {
  if (typeof agent !== 'string') return { kind: 'adapter', target: agent.adapter };
  if (!/^wss?:\/\//i.test(agent)) return { kind: 'builtin', target: agent };
  try {
    const url = new URL(agent);
    return { kind: 'url', target: `${url.protocol}//${url.host}${url.pathname}` };
  } catch {
    return { kind: 'url', target: '(invalid URL)' };
  }
}
