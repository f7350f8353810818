/**
 * The call history's data in zod (the routes validate with it; the OpenAPI document is generated from it): the list
 * query and page, a call's record (live calls carry the summary's fields only), its detail with timeline and
 * transcript, and the analytics query and answer.
 */
import { z } from 'zod';
import { DISPOSITIONS } from '../call/vocabulary.js';
import { ANALYTICS_INTERVALS } from '../records/analytics.js';
import { MAX_PAGE } from '../records/query.js';
import { ROUTING_ACTIONS, TIMELINE_TYPES, TRANSFER_OUTCOMES } from '../records/record.js';
import { CALL_DIRECTIONS, CALL_STATUSES, callSummarySchema } from './schemas.js';

const isoTime = z.iso.datetime({ offset: true });
const phone = z.string().min(1).max(128);

export const EXPORT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const DEFAULT_PAGE = 50;

export const historyQuerySchema = z.strictObject({
  number: z.string().min(1).max(128).optional().describe('The routing pattern the call matched (a `numbers:` key, e.g. `+1555*`).'),
  from: phone.optional().describe('The caller, exactly as stored (E.164 after normalisation).'),
  to: phone.optional().describe('The number or URI called, exactly as stored.'),
  direction: z.enum(CALL_DIRECTIONS).optional(),
  status: z.enum(CALL_STATUSES).optional().describe('A live status (`queued`, `ringing`, `answered`) matches live calls; a final one, ended calls.'),
  disposition: z.enum(DISPOSITIONS).optional(),
  trunk: z.string().min(1).max(64).optional(),
  createdFrom: isoTime.optional().describe('Calls created at or after this time.'),
  createdTo: isoTime.optional().describe('Calls created before this time.'),
  cursor: z.string().min(1).max(400).optional().describe('The `next` of the previous page (opaque).'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE).describe(`Calls per page, 1 to ${MAX_PAGE}; ignored by exports.`),
  format: z.enum(EXPORT_FORMATS).optional().describe('`csv` or `ndjson`: every matching call, streamed (or ask with `Accept: text/csv` / `application/x-ndjson`).'),
});

export const callRecordSchema = callSummarySchema
  .extend({
    live: z.boolean().describe('True while the call is up: its record is not final yet and only the summary fields are present.'),
    ringMs: z.number().optional(),
    talkMs: z.number().optional(),
    transfer: z.object({ target: z.string(), outcome: z.enum(TRANSFER_OUTCOMES) }).optional(),
    dtmfCount: z.int().optional(),
    bargeIns: z.int().optional(),
    turns: z.int().optional(),
    turnLatencyMs: z.object({ p50: z.number(), p95: z.number() }).optional(),
    quality: z.object({ packetsExpected: z.number(), packetsLost: z.number(), jitterMs: z.number(), mos: z.number() }).optional(),
    stages: z.object({ stt: z.number().nullable(), llm: z.number().nullable(), tts: z.number().nullable(), realtime: z.number().nullable() }).optional().describe('Medians of the agent\'s stage reports, ms.'),
    recording: z.string().optional(),
    routing: z
      .object({
        source: z.enum(['config', 'numbers-api', 'webhook', 'fallback']),
        url: z.string().optional(),
        ms: z.number().optional(),
        fallbackReason: z.string().optional(),
        action: z.enum(ROUTING_ACTIONS),
        status: z.int().optional(),
      })
      .optional(),
  })
  .meta({ id: 'CallRecord' });

export const timelineEntrySchema = z
  .object({ at: isoTime, type: z.enum(TIMELINE_TYPES), data: z.record(z.string(), z.unknown()) })
  .meta({ id: 'TimelineEntry' });
export const transcriptLineSchema = z
  .object({ at: isoTime, role: z.enum(['caller', 'agent']), text: z.string(), final: z.boolean() })
  .meta({ id: 'TranscriptLine' });

export const callDetailSchema = callRecordSchema
  .extend({
    timeline: z.array(timelineEntrySchema).optional().describe('Ended calls: the call\'s events in order (docs/records.md).'),
    transcript: z.array(transcriptLineSchema).optional().describe('Ended calls: what the agent reported was said.'),
  })
  .meta({ id: 'CallDetail' });

export const callPageSchema = z
  .object({
    calls: z.array(callRecordSchema).describe('Newest first: live and ended calls together.'),
    next: z.string().nullable().describe('The cursor of the next page (also in the `Link: <…>; rel="next"` header); null on the last page.'),
  })
  .meta({ id: 'CallPage' });

export const analyticsQuerySchema = z.strictObject({
  number: z.string().min(1).max(128).optional().describe('One routing pattern; every number when absent.'),
  from: isoTime.optional().describe('Start of the range (inclusive); default `to` minus 7 days.'),
  to: isoTime.optional().describe('End of the range (exclusive); default now.'),
  interval: z.enum(ANALYTICS_INTERVALS).default('day').describe('UTC buckets: `hour`, `day`, `week` (from Monday), or `total` (one for the range).'),
});

const disposition = Object.fromEntries(DISPOSITIONS.map((d) => [d, z.int().min(0)])) as Record<(typeof DISPOSITIONS)[number], z.ZodInt>;

export const analyticsPeriodSchema = z
  .object({
    number: z.string(),
    start: isoTime.describe('The bucket\'s start (the range\'s start for `total`).'),
    calls: z.int().min(0),
    byDisposition: z.object(disposition),
    answered: z.int().min(0),
    answerRate: z.number().describe('answered / calls'),
    talkMs: z.object({ avg: z.number(), p95: z.number() }).nullable().describe('Over answered calls; p95 is nearest-rank.'),
    turnLatencyMs: z.object({ p50: z.number(), p95: z.number() }).nullable().describe('Over every turn of the calls; nearest-rank.'),
    bargeInRate: z.number().nullable().describe('Answered calls with a barge-in / answered calls.'),
    transferRate: z.number().nullable().describe('Answered calls transferred (REFER accepted) / answered calls.'),
    mosAvg: z.number().nullable(),
  })
  .meta({ id: 'AnalyticsPeriod' });

export const analyticsSchema = z
  .object({ from: isoTime, to: isoTime, interval: z.enum(ANALYTICS_INTERVALS), periods: z.array(analyticsPeriodSchema) })
  .meta({ id: 'Analytics' });

export type HistoryQuery = z.output<typeof historyQuerySchema>;
export type ApiCallRecord = z.output<typeof callRecordSchema>;
export type ApiCallDetail = z.output<typeof callDetailSchema>;
