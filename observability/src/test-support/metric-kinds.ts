/**
 * The Prometheus type of each METRIC entry, for tests that check what a scrape declares: `prefix` is a family
 * prefix of prom-client's default metrics. names.ts's doc comments open with the same (`Gauge:`, `Counter{…}:`,
 * `Histogram…:`); a new METRIC entry must be added here.
 */
import type { METRIC } from '../names.js';

export type MetricKind = 'gauge' | 'counter' | 'histogram' | 'prefix';

export const METRIC_KINDS = {
  activeCalls: 'gauge',
  callsTotal: 'counter',
  callsRejectedTotal: 'counter',
  transfersRefusedTotal: 'counter',
  sipRequestsTotal: 'counter',
  sipResponsesTotal: 'counter',
  sipAuthFailuresTotal: 'counter',
  sipAuthLockoutsTotal: 'counter',
  sipTlsConnections: 'gauge',
  sipTlsHandshakeFailuresTotal: 'counter',
  sipTlsConnectFailuresTotal: 'counter',
  hopLatency: 'histogram',
  jitterBufferDepth: 'histogram',
  packetsLostTotal: 'counter',
  packetsExpectedTotal: 'counter',
  rtcpJitter: 'histogram',
  callMos: 'histogram',
  bargeInReaction: 'histogram',
  droppedFramesTotal: 'counter',
  wsSendQueueFrames: 'gauge',
  mediaClockLateTicks: 'gauge',
  rtpRejectedPacketsTotal: 'counter',
  rtpRejectedSourcesTotal: 'counter',
  trunkRegistrationState: 'gauge',
  routingWebhookDuration: 'histogram',
  routingWebhookFallbacksTotal: 'counter',
  numberCallsTotal: 'counter',
  numberAnsweredCallsTotal: 'counter',
  numberBargedInCallsTotal: 'counter',
  numberTransfersTotal: 'counter',
  numberTalkSeconds: 'histogram',
  numberTurnLatency: 'histogram',
  numberCallMos: 'histogram',
  storeQueuedOps: 'gauge',
  storeSpilledOps: 'gauge',
  storeAppliedTotal: 'counter',
  storeFailuresTotal: 'counter',
  storeDroppedTotal: 'counter',
  storeRejectedTotal: 'counter',
  storeDatabaseUp: 'gauge',
  eventLoopLagPrefix: 'prefix',
} as const satisfies Record<keyof typeof METRIC, MetricKind>;
