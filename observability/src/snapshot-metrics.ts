/**
 * Gauges and counters read from a gateway snapshot at scrape time (prom-client `collect` callbacks), so nothing on
 * the call path touches prom-client. The snapshot function is called once per scrape however many metrics read it.
 * Counters are the gateway's own cumulative counts (the gateway never resets them); on a failed snapshot every
 * metric keeps its last values, so a counter never appears to reset.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { ObservabilityError } from './errors.js';
import { LabelGuard, sipMethodLabel, sipStatusLabel } from './label-guard.js';
import { SingleFlight } from './single-flight.js';
import { AUTH_FAILURE_LABELS, LABEL, METRIC, REGISTRATION_STATE_LABELS, SRTP_FAILURE_LABELS } from './names.js';

/** The gateway's counters and gauges at one instant. Omitted fields leave their metrics as they were. */
export interface GatewaySnapshot {
  /** Calls admitted and not yet ended. */
  activeCalls?: number;
  /** The graceful drain's phase: 0 serving, 1 draining, 2 stopping. */
  drainState?: number;
  /** Finished calls by EndReason (`remote-bye`, `agent-hangup`, `rtp-timeout`, …), cumulative. */
  callsByResult?: Readonly<Record<string, number>>;
  /** Initial INVITEs refused before answer, by SIP status code, cumulative. */
  callsRejectedByStatus?: Readonly<Record<string, number>>;
  /** Transfer targets refused by the destination policy, by reason (`not_allowed`, `uri_headers`, …), cumulative. */
  transfersRefusedByReason?: Readonly<Record<string, number>>;
  /** Agents that could not be reached, by reason (`unreachable`, `timeout`, `refused`, `unknown`, `tls`), cumulative. */
  agentConnectFailuresByReason?: Readonly<Record<string, number>>;
  /** SIP requests received, by method, cumulative. */
  sipRequestsByMethod?: Readonly<Record<string, number>>;
  /** SIP responses sent, by the request's method and the status code, cumulative. */
  sipResponses?: readonly { method: string; status: number | string; count: number }[];
  /** Failed digest authentications by cause (AUTH_FAILURE_LABELS), cumulative. */
  sipAuthFailures?: Readonly<Record<string, number>>;
  /** Sources locked out after repeated failed authentications, cumulative. */
  sipAuthLockouts?: number;
  /** SIP over TLS: open connections now; failed handshakes (accepted) and failed connects (ours), cumulative. */
  sipTls?: { connections: number; handshakeFailures: number; connectFailures: number };
  /** Media clock wake-ups at least two ticks (4 ms) late, since start. */
  mediaClockLateTicks?: number;
  /** Media clock wake-ups at least a packet time (20 ms) late, since start. */
  mediaClockStalls?: number;
  /** Caller frames queued towards agents, all calls together. */
  wsSendQueueFrames?: number;
  /** RTP/RTCP packets dropped because of their source, cumulative. */
  rtpRejectedPackets?: number;
  /** Distinct sources of those packets (per call), cumulative. */
  rtpRejectedSources?: number;
  /** SRTP/SRTCP packets refused, by failure (SRTP_FAILURE_LABELS), cumulative. */
  srtpFailures?: Readonly<Record<string, number>>;
  /** Each registering trunk's registration state (REGISTRATION_STATE_LABELS), by configured trunk name. */
  trunkRegistrations?: readonly { trunk: string; state: string }[];
  /** The store's write queue (gateway/src/store): depths now, counts cumulative. */
  store?: { queued: number; spilled: number; applied: number; failures: number; dropped: number; rejected: number; databaseUp: boolean };
}

export type SnapshotSource = () => Promise<GatewaySnapshot> | GatewaySnapshot;

export class SnapshotMetrics {
  private source: SnapshotSource | undefined;
  private readonly flight = new SingleFlight<GatewaySnapshot>();
  private readonly onError: (error: ObservabilityError) => void;

  constructor(registry: Registry, onError: (error: ObservabilityError) => void) {
    this.onError = onError;
    const read = (): Promise<GatewaySnapshot | undefined> => this.read();
    const registers = [registry];
    const results = new LabelGuard();
    const refusals = new LabelGuard(16);

    gauge(registers, METRIC.activeCalls, 'Calls admitted and not yet ended.', read, (s) => s.activeCalls);
    gauge(registers, METRIC.drainState, 'The graceful drain: 0 serving, 1 draining (new calls refused, live calls go on), 2 stopping.', read, (s) => s.drainState);
    gauge(registers, METRIC.wsSendQueueFrames, "Caller audio frames queued towards agents (all calls' WebSocket send queues together).", read, (s) => s.wsSendQueueFrames);
    gauge(registers, METRIC.mediaClockLateTicks, 'Media clock wake-ups at least two ticks (4 ms) late since start: mild event-loop lateness inside a packet time, not heard by callers. Stalls are patchbay_media_clock_stalls_total.', read, (s) => s.mediaClockLateTicks);
    counter(registers, METRIC.mediaClockStallsTotal, 'Media clock wake-ups at least one packet time (20 ms) late: event-loop stalls that delayed callers\' packets by a packet time or more.', [], read, (s) =>
      s.mediaClockStalls === undefined ? undefined : [[{}, s.mediaClockStalls]],
    );

    counter(registers, METRIC.rtpRejectedPacketsTotal, 'RTP/RTCP packets dropped because of their source (not the latched one, refused by media.latch, or sending before the answer).', [], read, (s) =>
      s.rtpRejectedPackets === undefined ? undefined : [[{}, s.rtpRejectedPackets]],
    );
    counter(registers, METRIC.rtpRejectedSourcesTotal, 'Distinct sources of RTP/RTCP packets dropped because of their source, counted per call.', [], read, (s) =>
      s.rtpRejectedSources === undefined ? undefined : [[{}, s.rtpRejectedSources]],
    );
    counter(registers, METRIC.srtpFailuresTotal, 'SRTP/SRTCP packets refused and dropped (never played), by failure: auth (wrong key, tampered, not the peer), replay, malformed.', [LABEL.failure], read, (s) =>
      s.srtpFailures && SRTP_FAILURE_LABELS.map((f): [Record<string, string>, number] => [{ [LABEL.failure]: f }, s.srtpFailures?.[f] ?? 0]),
    );
    counter(registers, METRIC.callsTotal, 'Finished calls by how they ended (result = EndReason).', [LABEL.result], read, (s) =>
      s.callsByResult && Object.entries(s.callsByResult).map(([k, v]): [Record<string, string>, number] => [{ [LABEL.result]: results.value(k) }, v]),
    );
    counter(registers, METRIC.callsRejectedTotal, 'Initial INVITEs refused before answer, by SIP status.', [LABEL.status], read, (s) =>
      s.callsRejectedByStatus && Object.entries(s.callsRejectedByStatus).map(([k, v]): [Record<string, string>, number] => [{ [LABEL.status]: sipStatusLabel(k) }, v]),
    );
    counter(registers, METRIC.transfersRefusedTotal, "Agents' transfer targets refused by the destination policy (no REFER sent), by reason.", [LABEL.reason], read, (s) =>
      s.transfersRefusedByReason && Object.entries(s.transfersRefusedByReason).map(([k, v]): [Record<string, string>, number] => [{ [LABEL.reason]: refusals.value(k) }, v]),
    );
    counter(registers, METRIC.agentConnectFailuresTotal, 'Agents that could not be reached (the caller got the fallback, or the call was refused), by reason (tls: certificate not verified or handshake failed).', [LABEL.reason], read, (s) =>
      s.agentConnectFailuresByReason && Object.entries(s.agentConnectFailuresByReason).map(([k, v]): [Record<string, string>, number] => [{ [LABEL.reason]: refusals.value(k) }, v]),
    );
    counter(registers, METRIC.sipRequestsTotal, 'SIP requests received, by method.', [LABEL.method], read, (s) =>
      s.sipRequestsByMethod && Object.entries(s.sipRequestsByMethod).map(([k, v]): [Record<string, string>, number] => [{ [LABEL.method]: sipMethodLabel(k) }, v]),
    );
    counter(registers, METRIC.sipResponsesTotal, 'SIP responses sent, by method and status.', [LABEL.method, LABEL.status], read, (s) =>
      s.sipResponses?.map((r): [Record<string, string>, number] => [{ [LABEL.method]: sipMethodLabel(r.method), [LABEL.status]: sipStatusLabel(r.status) }, r.count]),
    );
    counter(registers, METRIC.sipAuthFailuresTotal, 'Failed digest authentications of initial INVITEs, by cause.', [LABEL.reason], read, (s) =>
      s.sipAuthFailures && Object.entries(s.sipAuthFailures).map(([k, v]): [Record<string, string>, number] => [{ [LABEL.reason]: authFailureLabel(k) }, v]),
    );
    // Trunk names come from the configuration (a closed set); printable names of up to 64 characters, 64 trunks.
    const trunks = new LabelGuard(64, 'other', /^[\x21-\x7e][\x20-\x7e]{0,63}$/);
    new Gauge({
      name: METRIC.trunkRegistrationState,
      help: "Each registering trunk's registration state: 1 for the current state, 0 for the others.",
      labelNames: [LABEL.trunk, LABEL.state],
      registers,
      async collect(this: Gauge<string>) {
        const list = (await read())?.trunkRegistrations;
        if (!list) return;
        this.reset();
        for (const { trunk, state } of list) {
          for (const s of REGISTRATION_STATE_LABELS) this.set({ [LABEL.trunk]: trunks.value(trunk), [LABEL.state]: s }, s === state ? 1 : 0);
        }
      },
    });
    gauge(registers, METRIC.storeQueuedOps, "Database writes waiting in the store's memory queue.", read, (s) => s.store?.queued);
    gauge(registers, METRIC.storeSpilledOps, "Database writes waiting in the store's spill file.", read, (s) => s.store?.spilled);
    gauge(registers, METRIC.storeDatabaseUp, "1 when the store's last attempt reached the database, else 0.", read, (s) => (s.store === undefined ? undefined : s.store.databaseUp ? 1 : 0));
    const storeCount = (name: string, help: string, pick: (st: NonNullable<GatewaySnapshot['store']>) => number): void =>
      counter(registers, name, help, [], read, (s) => (s.store === undefined ? undefined : [[{}, pick(s.store)]]));
    storeCount(METRIC.storeAppliedTotal, 'Database writes applied.', (st) => st.applied);
    storeCount(METRIC.storeFailuresTotal, 'Failed attempts to apply database writes (each retried).', (st) => st.failures);
    storeCount(METRIC.storeDroppedTotal, 'Database writes dropped: the memory queue and the spill file were both full.', (st) => st.dropped);
    storeCount(METRIC.storeRejectedTotal, 'Database writes the database kept refusing while it answered.', (st) => st.rejected);
    counter(registers, METRIC.sipAuthLockoutsTotal, 'Sources locked out after repeated failed digest authentications.', [], read, (s) =>
      s.sipAuthLockouts === undefined ? undefined : [[{}, s.sipAuthLockouts]],
    );
    gauge(registers, METRIC.sipTlsConnections, 'Open SIP over TLS connections (handshakes under way included).', read, (s) => s.sipTls?.connections);
    counter(registers, METRIC.sipTlsHandshakeFailuresTotal, 'Accepted SIP over TLS connections whose handshake failed (version, cipher, client certificate, peer gone).', [], read, (s) =>
      s.sipTls === undefined ? undefined : [[{}, s.sipTls.handshakeFailures]],
    );
    counter(registers, METRIC.sipTlsConnectFailuresTotal, 'SIP over TLS connections we opened whose handshake failed or whose certificate did not verify.', [], read, (s) =>
      s.sipTls === undefined ? undefined : [[{}, s.sipTls.connectFailures]],
    );
  }

  setSource(source: SnapshotSource | undefined): void {
    this.source = source;
  }

  /** One snapshot per scrape: every collect of a scrape starts in the same tick and shares the in-flight read. */
  private read(): Promise<GatewaySnapshot | undefined> {
    const source = this.source;
    if (!source) return Promise.resolve(undefined);
    return this.flight.run(source, (err) => this.onError(new ObservabilityError('OBS_METRICS_SOURCE', 'the gateway snapshot source failed', { cause: err })));
  }
}

const AUTH_FAILURES: ReadonlySet<string> = new Set(AUTH_FAILURE_LABELS);

function authFailureLabel(raw: string): string {
  return AUTH_FAILURES.has(raw) ? raw : 'other';
}

function gauge(registers: Registry[], name: string, help: string, read: () => Promise<GatewaySnapshot | undefined>, pick: (s: GatewaySnapshot) => number | undefined): void {
  new Gauge({
    name,
    help,
    registers,
    async collect(this: Gauge) {
      const snapshot = await read();
      const v = snapshot && pick(snapshot);
      if (v !== undefined && Number.isFinite(v)) this.set(v);
    },
  });
}

function counter<L extends string>(
  registers: Registry[],
  name: string,
  help: string,
  labelNames: L[],
  read: () => Promise<GatewaySnapshot | undefined>,
  pick: (s: GatewaySnapshot) => readonly [Partial<Record<L, string>>, number][] | undefined,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    async collect(this: Counter<L>) {
      const snapshot = await read();
      const entries = snapshot && pick(snapshot);
      if (!entries) return;
      this.reset(); // the snapshot holds totals: replace, do not add
      for (const [labels, value] of entries) {
        if (Number.isFinite(value) && value >= 0) this.inc(labels, value);
      }
    },
  });
}
