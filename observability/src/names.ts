/**
 * Every metric and span name Patchbay exports, in one place: the gateway, the dashboards and their tests read
 * them from here. Metric names follow Prometheus conventions (`patchbay_` prefix, base units: seconds, `_total`
 * counters). No label ever carries a per-call value (call ids, numbers): labels are small closed sets.
 */

export const METRIC = {
  /** Gauge: calls admitted and not yet ended. */
  activeCalls: 'patchbay_active_calls',
  /** Gauge: the graceful drain's phase (docs/drain.md): 0 serving, 1 draining (new calls refused), 2 stopping. */
  drainState: 'patchbay_drain_state',
  /** Counter{result}: finished calls by how they ended (the EndReason: remote-bye, agent-hangup, rtp-timeout, ...). */
  callsTotal: 'patchbay_calls_total',
  /** Counter{status}: initial INVITEs refused before answer, by SIP status. */
  callsRejectedTotal: 'patchbay_calls_rejected_total',
  /**
   * Counter{reason}: agents' transfer targets the gateway's destination policy refused (no REFER sent). reason ∈
   * not_allowed, denied, not_e164, not_dialable, uri_headers, uri_parameter, scheme, malformed.
   */
  transfersRefusedTotal: 'patchbay_transfers_refused_total',
  /**
   * Counter{reason}: agents that could not be reached (the caller got the fallback, or the call was refused). reason ∈
   * unreachable, timeout, refused, unknown, tls (a wss:// agent's certificate not verified, or its handshake failed).
   */
  agentConnectFailuresTotal: 'patchbay_agent_connect_failures_total',
  /** Counter{method}: SIP requests received. */
  sipRequestsTotal: 'patchbay_sip_requests_total',
  /** Counter{method, status}: SIP responses sent (status as its class or code: a closed set). */
  sipResponsesTotal: 'patchbay_sip_responses_total',
  /** Counter{reason}: failed digest authentications of initial INVITEs, by cause (AUTH_FAILURE_LABELS). */
  sipAuthFailuresTotal: 'patchbay_sip_auth_failures_total',
  /** Counter: sources locked out after repeated failed digest authentications (`sip.authThrottle`). */
  sipAuthLockoutsTotal: 'patchbay_sip_auth_lockouts_total',
  // The SIP edge (gateway/src/edge, docs/edge.md): what it dropped before parsing, and its ban list.
  /** Counter{reason}: SIP messages the edge dropped silently before parsing, by EDGE_DROP_LABELS. */
  sipEdgeDroppedTotal: 'patchbay_sip_edge_dropped_total',
  /** Counter: bans begun (a source over `sip.edge.requestsPerSecond`, or a scanner), repeats included. */
  sipEdgeBansTotal: 'patchbay_sip_edge_bans_total',
  /** Gauge: sources (IPv4 address or IPv6 /64) banned now. */
  sipEdgeBansActive: 'patchbay_sip_edge_bans_active',
  /** Gauge: sources the edge's rate limiter tracks now (bounded by `sip.edge.maxSources`). */
  sipEdgeSources: 'patchbay_sip_edge_sources',
  /** Counter: sources forgotten early because the limiter's table was full (stalest first). */
  sipEdgeEvictedTotal: 'patchbay_sip_edge_evicted_total',
  /** Counter: TCP connections refused at accept (banned source, or unknown with `sip.unknownSources: drop`). */
  sipEdgeConnectionsRefusedTotal: 'patchbay_sip_edge_connections_refused_total',
  /** Gauge: open SIP over TLS connections (accepted and opened by us; handshakes under way included). */
  sipTlsConnections: 'patchbay_sip_tls_connections',
  /** Counter: accepted TLS connections whose handshake failed (version, cipher, client certificate missing or untrusted, peer gone). */
  sipTlsHandshakeFailuresTotal: 'patchbay_sip_tls_handshake_failures_total',
  /** Counter: TLS connections we opened (to trunks) whose handshake failed or whose certificate did not verify. */
  sipTlsConnectFailuresTotal: 'patchbay_sip_tls_connect_failures_total',
  /**
   * Histogram{hop}: latency of each hop in seconds, sub-millisecond buckets. hop ∈ uplink, uplink_processing,
   * downlink, downlink_processing, turn, barge_in, setup, stt, llm, tts, realtime.
   */
  hopLatency: 'patchbay_hop_latency_seconds',
  /** Histogram: caller-side jitter-buffer / reorder depth at call end, seconds. */
  jitterBufferDepth: 'patchbay_jitter_buffer_depth_seconds',
  /** Counter{direction}: RTP packets lost (caller → gateway by sequence; gateway → caller from RTCP reports). */
  packetsLostTotal: 'patchbay_rtp_packets_lost_total',
  /** Counter{direction}: RTP packets received / expected, for a loss ratio. */
  packetsExpectedTotal: 'patchbay_rtp_packets_expected_total',
  /** Histogram: RFC 3550 interarrival jitter of the caller's RTP at call end, seconds. */
  rtcpJitter: 'patchbay_rtcp_jitter_seconds',
  /** Histogram: estimated MOS of each finished call (ITU-T G.107 E-model from measured delay, loss and jitter). */
  callMos: 'patchbay_call_mos',
  /** Histogram: barge-in reaction (caller onset → agent audio stopped), seconds. Also hop=barge_in above. */
  bargeInReaction: 'patchbay_barge_in_reaction_seconds',
  /** Counter{direction, reason}: audio frames dropped (uplink overflow towards a slow agent, playout overflow, ...). */
  droppedFramesTotal: 'patchbay_dropped_frames_total',
  /** Gauge: caller frames queued towards agents (all calls' WebSocket send queues together). */
  wsSendQueueFrames: 'patchbay_ws_send_queue_frames',
  /**
   * Gauge: media clock wake-ups at least two ticks (4 ms with the 2 ms tick) late, since start: mild event-loop
   * lateness inside a packet time, which callers do not hear. Reported for context; stalls are the alarm.
   */
  mediaClockLateTicks: 'patchbay_media_clock_late_ticks',
  /** Counter: media clock wake-ups at least one packet time (20 ms) late: event-loop stalls callers hear as jitter. */
  mediaClockStallsTotal: 'patchbay_media_clock_stalls_total',
  /**
   * Counter: RTP/RTCP packets the gateway dropped because of their source (not the latched one, refused by
   * `media.latch`, or sending before the call was answered): hijack attempts and stray streams.
   */
  rtpRejectedPacketsTotal: 'patchbay_rtp_rejected_packets_total',
  /** Counter: distinct sources (address and port) of those packets, counted per call. */
  rtpRejectedSourcesTotal: 'patchbay_rtp_rejected_sources_total',
  /**
   * Counter{failure}: SRTP/SRTCP packets refused and dropped (never played, never latched), by SRTP_FAILURE_LABELS:
   * `auth` (the tag did not verify: a wrong key, tampering, or not the peer), `replay`, `malformed`.
   */
  srtpFailuresTotal: 'patchbay_srtp_failures_total',
  /**
   * Gauge{trunk, state}: 1 for each registering trunk's current registration state, 0 for its other states
   * (REGISTRATION_STATE_LABELS). `trunk` is a configured trunk name: a closed set from the configuration.
   */
  trunkRegistrationState: 'patchbay_trunk_registration_state',
  /** Histogram: a routing webhook's answer time (or until its timeout or failure), seconds (docs/numbers.md). */
  routingWebhookDuration: 'patchbay_routing_webhook_seconds',
  /** Counter{reason}: calls a routing webhook's fallback route took, by ROUTING_FALLBACK_LABELS. */
  routingWebhookFallbacksTotal: 'patchbay_routing_webhook_fallbacks_total',
  /** Counter{outcome}: people rung by forwarding or a warm transfer, by how their leg went (FORWARD_LEG_OUTCOME_LABELS). */
  forwardLegsTotal: 'patchbay_forward_legs_total',
  /** Counter{reason}: agents given up mid-call by agent failover, by cause (AGENT_FAILOVER_CAUSE_LABELS). */
  agentFailoversTotal: 'patchbay_agent_failovers_total',
  /** Counter{outcome}: agent failover's re-dials, by outcome (AGENT_REDIAL_OUTCOME_LABELS). */
  agentRedialsTotal: 'patchbay_agent_redials_total',
  // Per-number figures from finished call records (number-metrics.ts), labelled `number`: a configured number's
  // pattern (`numbers:` key or the numbers API), every other call under `other` (the cardinality guard).
  /** Counter{number, disposition}: finished calls per number. */
  numberCallsTotal: 'patchbay_number_calls_total',
  /** Counter{number}: answered calls (the answer rate's numerator; calls_total summed is its denominator). */
  numberAnsweredCallsTotal: 'patchbay_number_answered_calls_total',
  /** Counter{number}: answered calls with at least one barge-in. */
  numberBargedInCallsTotal: 'patchbay_number_barged_in_calls_total',
  /** Counter{number, outcome}: transfers asked, by outcome (accepted, failed). */
  numberTransfersTotal: 'patchbay_number_transfers_total',
  /** Histogram{number}: talk time of answered calls, seconds. */
  numberTalkSeconds: 'patchbay_number_talk_seconds',
  /** Histogram{number}: every turn's latency (end of the caller's speech → the agent's first audio), seconds. */
  numberTurnLatency: 'patchbay_number_turn_latency_seconds',
  /** Histogram{number}: the MOS of each call that has one. */
  numberCallMos: 'patchbay_number_call_mos',
  /** Gauge: database writes waiting in the store's memory queue (database slow or down). */
  storeQueuedOps: 'patchbay_store_queued_ops',
  /** Gauge: database writes waiting in the store's spill file (memory queue full while the database was down). */
  storeSpilledOps: 'patchbay_store_spilled_ops',
  /** Counter: database writes applied. */
  storeAppliedTotal: 'patchbay_store_applied_total',
  /** Counter: failed attempts to apply writes (each retried; a rise means the database is slow, down or refusing). */
  storeFailuresTotal: 'patchbay_store_failures_total',
  /** Counter: writes dropped because the memory queue and the spill file were both full (records lost). */
  storeDroppedTotal: 'patchbay_store_dropped_total',
  /** Counter: writes the database kept refusing while it answered (logged with their kind). */
  storeRejectedTotal: 'patchbay_store_rejected_total',
  /** Gauge: 1 when the store's last attempt reached the database, else 0. */
  storeDatabaseUp: 'patchbay_store_database_up',
  /** Node's event-loop delay comes from prom-client's default metrics: `nodejs_eventloop_lag_*`. */
  eventLoopLagPrefix: 'nodejs_eventloop_lag',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The `hop` label values of METRIC.hopLatency (a closed set). */
export const HOP_LABELS = [
  'uplink',
  'uplink_processing',
  'downlink',
  'downlink_processing',
  'turn',
  'barge_in',
  'setup',
  'stt',
  'llm',
  'tts',
  'realtime',
] as const;
export type HopLabel = (typeof HOP_LABELS)[number];

/** Label names on Patchbay metrics. Every one is a small closed set (no per-call values). */
export const LABEL = {
  hop: 'hop',
  /** METRIC.callsTotal: the call's EndReason. */
  result: 'result',
  /** SIP status code (100…699, else `other`). */
  status: 'status',
  /** SIP method (standard methods, else `OTHER`). */
  method: 'method',
  direction: 'direction',
  reason: 'reason',
  /** METRIC.trunkRegistrationState: the trunk's configured name (at most 64 trunks, else `other`). */
  trunk: 'trunk',
  /** METRIC.trunkRegistrationState: REGISTRATION_STATE_LABELS. */
  state: 'state',
  /** METRIC.number*: a configured number's pattern, else `other` (NUMBER_OTHER). */
  number: 'number',
  /** METRIC.numberCallsTotal: the call's disposition (completed, busy, no-answer, declined, failed, canceled). */
  disposition: 'disposition',
  /** METRIC.numberTransfersTotal: accepted, failed; METRIC.forwardLegsTotal, METRIC.agentRedialsTotal: their label tables. */
  outcome: 'outcome',
  /** METRIC.srtpFailuresTotal: SRTP_FAILURE_LABELS. */
  failure: 'failure',
} as const;

/**
 * The `outcome` label values of METRIC.forwardLegsTotal: `answered`, the leg's end reason when it was not (the
 * gateway's END_REASONS a ringing leg can end with), `refused` (not placed: the trunk refused it), else `other`.
 */
export const FORWARD_LEG_OUTCOME_LABELS = ['answered', 'no-answer', 'busy', 'declined', 'failed', 'answered-elsewhere', 'peer-hangup', 'consult-cancelled', 'refused', 'other'] as const;

/** The `reason` label values of METRIC.agentFailoversTotal (the gateway's AGENT_FAILURE_CAUSES), else `other`. */
export const AGENT_FAILOVER_CAUSE_LABELS = ['agent-dropped', 'agent-error', 'early-hangup', 'agent-silent', 'other'] as const;

/** The `outcome` label values of METRIC.agentRedialsTotal. */
export const AGENT_REDIAL_OUTCOME_LABELS = ['connected', 'failed'] as const;
export type AgentRedialOutcomeLabel = (typeof AGENT_REDIAL_OUTCOME_LABELS)[number];

/** The `failure` label values of METRIC.srtpFailuresTotal (the gateway's SRTP_FAILURES). */
export const SRTP_FAILURE_LABELS = ['auth', 'replay', 'malformed'] as const;

/** The `state` label values of METRIC.trunkRegistrationState (the gateway's registration states). */
export const REGISTRATION_STATE_LABELS = ['unregistered', 'registering', 'registered', 'failed'] as const;
export type RegistrationStateLabel = (typeof REGISTRATION_STATE_LABELS)[number];

/** The `direction` label values: `uplink` = caller → gateway, `downlink` = gateway → caller. */
export const DIRECTION_LABELS = ['uplink', 'downlink'] as const;
export type DirectionLabel = (typeof DIRECTION_LABELS)[number];

/**
 * The `reason` label values of METRIC.sipAuthFailuresTotal (anything else is `other`): no such username, wrong
 * response, another realm, a digest uri that is not the Request-URI, an algorithm not offered, refused unchecked
 * (source locked out), nonce spent by wrong responses (re-challenged), unparsable credentials.
 */
export const AUTH_FAILURE_LABELS = ['unknown-user', 'bad-response', 'realm', 'uri-mismatch', 'algorithm', 'locked-out', 'nonce-spent', 'malformed'] as const;
export type AuthFailureLabel = (typeof AUTH_FAILURE_LABELS)[number];

/** The `reason` label values of METRIC.sipEdgeDroppedTotal (the gateway's EDGE_DROP_REASONS). */
export const EDGE_DROP_LABELS = ['rate', 'banned', 'unknown-source', 'scanner'] as const;
export type EdgeDropLabel = (typeof EDGE_DROP_LABELS)[number];

/** The `reason` label values of METRIC.routingWebhookFallbacksTotal (the gateway's FALLBACK_REASONS). */
export const ROUTING_FALLBACK_LABELS = ['timeout', 'unreachable', 'bad_status', 'bad_response'] as const;
export type RoutingFallbackLabel = (typeof ROUTING_FALLBACK_LABELS)[number];

export const SPAN = {
  /** The whole call, root of its trace. */
  call: 'call',
  /** INVITE received → ACK (or the final failure). */
  sipInvite: 'sip.invite',
  /** Dialling the agent before we answer. */
  agentConnect: 'agent.connect',
  /** End of the caller's speech → first agent audio on RTP. */
  turn: 'turn',
  /** Child spans of a turn, one per hop of the audio path. */
  uplink: 'turn.uplink',
  downlink: 'turn.downlink',
  stt: 'agent.stt',
  llm: 'agent.llm',
  tts: 'agent.tts',
  realtime: 'agent.realtime',
  /** Event on a turn (or the call) when the caller interrupted the agent. */
  bargeIn: 'barge_in',
} as const;

/** Span attribute keys (no personal data: never a phone number or a transcript). */
export const ATTR = {
  callId: 'patchbay.call.id',
  number: 'patchbay.number.pattern',
  agent: 'patchbay.agent.kind',
  codec: 'patchbay.media.codec',
  endReason: 'patchbay.call.end_reason',
  turnIndex: 'patchbay.turn.index',
  mos: 'patchbay.call.mos',
  sipStatus: 'sip.response.status_code',
  sipMethod: 'sip.method',
} as const;

// ---- the moments and durations of a turn's hops (span events and attributes the gateway adds) ----------------

/** Events on `turn.uplink` / `turn.downlink`, at the moment each step of the hop finished. */
export const TURN_EVENT = {
  rtpReceived: 'rtp.received',
  bufferReleased: 'jitter_buffer.released',
  decoded: 'decoded',
  wsSent: 'ws.sent',
  wsReceived: 'ws.received',
  playoutTaken: 'playout.taken',
  encoded: 'encoded',
  rtpSent: 'rtp.sent',
} as const;

/** Attributes of turn spans and of the call's quality, in ms unless named otherwise. */
export const TRACE_ATTR = {
  /** turn: end of the caller's speech → the agent's first audio on RTP. */
  turnLatencyMs: 'patchbay.turn.latency_ms',
  /** turn.uplink: arrival → released by the reorder/jitter buffer. */
  bufferWaitMs: 'patchbay.hop.buffer_wait_ms',
  /** turn.uplink: released → decoded and resampled; turn.downlink: taken → encoded. */
  codecMs: 'patchbay.hop.codec_ms',
  /** turn.uplink: decoded → handed to the agent's socket; turn.downlink: encoded → sent on RTP. */
  sendMs: 'patchbay.hop.send_ms',
  /** turn.downlink: agent chunk received → taken from the playout queue (the lead buffer's wait). */
  leadWaitMs: 'patchbay.hop.lead_wait_ms',
  /** agent.*: the duration the agent reported for its stage. */
  stageMs: 'patchbay.agent.stage_ms',
  /** barge_in: caller onset → agent audio stopped. */
  reactionMs: 'patchbay.barge_in.reaction_ms',
  /** agent.connect: `connected`, or `fallback` (unreachable: the caller got the apology agent). */
  agentOutcome: 'patchbay.agent.outcome',
  /** call: packets lost / expected in each direction at the end, and the one-way delay the MOS assumed. */
  lossInbound: 'patchbay.rtp.loss_ratio.inbound',
  lossOutbound: 'patchbay.rtp.loss_ratio.outbound',
  jitterMs: 'patchbay.rtp.jitter_ms',
  oneWayDelayMs: 'patchbay.media.one_way_delay_ms',
  /** Stable error code of a failure (agent connect). */
  errorType: 'error.type',
} as const;
