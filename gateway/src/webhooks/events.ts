/**
 * Every webhook event type, delivery status and attempt error, in one typed table each: what reaches a receiver or
 * the API comes from here, and docs/webhooks.md documents each entry (webhooks-docs.test.ts checks both ways).
 *
 * Every POST body is an envelope `{type, timestamp, data}`: `timestamp` is when the event happened (ISO 8601 UTC,
 * the same on every attempt); the `webhook-timestamp` header is when this attempt was signed.
 */
import type { CallSummary } from '../call/registry.js';
import type { CallDetail } from '../records/record.js';

export const WEBHOOK_EVENTS = {
  'call.ringing': { status: 'live', description: 'The call rang: inbound, we sent 180 Ringing; outbound, the far end did.' },
  'call.answered': { status: 'live', description: 'The call was answered (2xx sent or received).' },
  'call.ended': { status: 'live', description: 'The call ended and its record is complete: `data` is the record with its timeline and transcript (GET /v1/calls/{id}).' },
  'call.transferred': { status: 'live', description: "The agent's transfer was accepted by the far end; our leg ends next." },
  'recording.ready': { status: 'reserved', description: 'Reserved: a recording is stored (a later issue).' },
  'voicemail.received': { status: 'reserved', description: 'Reserved: a voicemail was left (a later issue).' },
} as const satisfies Record<string, { status: 'live' | 'reserved'; description: string }>;

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;
export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];

/** What each event's `data` is. */
export interface WebhookEventData {
  'call.ringing': CallSummary;
  'call.answered': CallSummary;
  'call.ended': CallDetail;
  'call.transferred': CallSummary;
  /** Shapes fixed by the issues that bring them. */
  'recording.ready': Record<string, unknown>;
  'voicemail.received': Record<string, unknown>;
}

export interface WebhookEnvelope<T extends WebhookEventType = WebhookEventType> {
  type: T;
  timestamp: string;
  data: WebhookEventData[T];
}

export const DELIVERY_STATUSES = {
  pending: 'Waiting for its next try (or being sent now).',
  delivered: 'An attempt got a 2xx answer.',
  failed: 'Still not delivered when retry.giveUpAfterMs ran out; replay it to try again.',
} as const;
export type DeliveryStatus = keyof typeof DELIVERY_STATUSES;
export const DELIVERY_STATUS_NAMES = Object.keys(DELIVERY_STATUSES) as DeliveryStatus[];

/** An attempt's `error` (null on a 2xx). */
export const ATTEMPT_ERRORS = {
  timeout: 'No complete answer within webhooks.timeoutMs.',
  connection_failed: 'The connection could not be made or broke (refused, reset, DNS, TLS).',
  bad_status: 'The endpoint answered with a status other than 2xx (redirects are not followed).',
} as const;
export type AttemptError = keyof typeof ATTEMPT_ERRORS;
