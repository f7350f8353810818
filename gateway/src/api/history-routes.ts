/**
 * The call history routes under `/v1`: `GET /calls` (live and ended calls, filters, keyset pages, CSV/NDJSON
 * export), `GET /calls/{id}` (a live call's summary, or an ended call's record with timeline and transcript) and
 * `GET /analytics` (per-number figures by period). Behind the same access check as every /v1 route. Phone numbers
 * are in the answers (the records are about them) but never in a log line: a failed read logs its error's code only.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { AnalyticsError } from '../records/analytics.js';
import { CursorError, decodeCursor, encodeCursor, type CursorKey } from '../records/cursor.js';
import type { HistoryFilter, HistorySource } from '../records/query.js';
import type { ApiAccess } from './auth.js';
import type { CallControl } from './call-control.js';
import { ApiError } from './errors.js';
import { EXPORT_CONTENT_TYPES, exportStream, formatFromAccept } from './export-format.js';
import { CallHistory } from './history.js';
import { analyticsQuerySchema, analyticsSchema, callDetailSchema, callPageSchema, historyQuerySchema, type ApiCallRecord, type HistoryQuery } from './history-schemas.js';
import { problemResponses } from './problem-schema.js';
import { callIdParams } from './schemas.js';

export interface HistoryRoutesOptions {
  control: CallControl;
  access: ApiAccess;
  /** Ended calls and analytics; absent: the list is live calls only and analytics answers STORE_UNAVAILABLE. */
  history?: HistorySource;
  logger?: Logger;
}

const WEEK_MS = 7 * 24 * 3_600_000;

export const historyRoutes: FastifyPluginAsyncZod<HistoryRoutesOptions> = async (app, opts) => {
  const calls = new CallHistory(opts.control, opts.history?.query);

  app.addHook('onRequest', async (req) => {
    const result = opts.access.check({ headers: { authorization: req.headers.authorization }, remoteAddress: req.socket.remoteAddress });
    if (!result.ok) throw new ApiError(result.code);
  });

  /** A store read failed: 503 with a generic detail; the log has the error's class and code, no query values. */
  const reading = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof AnalyticsError) throw new ApiError('FILTER_INVALID', err.message);
      const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
      opts.logger?.warn({ error: err instanceof Error ? err.name : typeof err, code }, 'call history: store read failed');
      throw new ApiError('STORE_UNAVAILABLE');
    }
  };

  app.get('/calls', {
    schema: {
      operationId: 'listCalls',
      summary: 'Call history: live and ended calls, newest first, in pages; or all of them as CSV / NDJSON',
      description:
        'Filters combine (AND). Pages follow `next` (also a `Link: <…>; rel="next"` header). With `format=csv|ndjson` ' +
        '(or `Accept: text/csv` / `application/x-ndjson`) the answer is every matching call from `cursor` on, streamed ' +
        'as `text/csv` (header row, RFC 4180 quoting) or `application/x-ndjson` (one CallRecord per line).',
      tags: ['calls'],
      querystring: historyQuerySchema,
      response: { 200: callPageSchema, ...problemResponses(['VALIDATION_FAILED', 'CURSOR_INVALID', 'FILTER_INVALID', 'STORE_UNAVAILABLE']) },
    },
    handler: async (req, reply) => {
      const filter = filterOf(req.query);
      const after = cursorOf(req.query.cursor);
      const format = req.query.format ?? formatFromAccept(req.headers.accept) ?? 'json';
      if (format !== 'json') {
        // Read the first batch before answering: a store that is down is a 503, not a cut-off 200.
        const batches = calls.batches(filter, after);
        const first = await reading(() => batches.next());
        async function* all(): AsyncGenerator<ApiCallRecord[]> {
          if (first.done !== true) yield first.value;
          yield* batches;
        }
        // The export is not the JSON page: the untyped reply (the stream bypasses the serializer).
        const untyped: FastifyReply = reply;
        return untyped
          .header('content-type', EXPORT_CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="calls.${format}"`)
          .send(exportStream(format, all()));
      }
      const page = await reading(() => calls.page(filter, req.query.limit, after));
      const next = page.next === null ? null : encodeCursor(page.next);
      if (next !== null) reply.header('link', `<${nextUrl(req, next)}>; rel="next"`);
      return { calls: page.calls, next };
    },
  });

  app.get('/calls/:id', {
    schema: {
      operationId: 'getCall',
      summary: 'A call: a live call\'s summary, or an ended call\'s record with its timeline and transcript',
      tags: ['calls'],
      params: callIdParams,
      response: { 200: callDetailSchema, ...problemResponses(['VALIDATION_FAILED', 'CALL_NOT_FOUND', 'STORE_UNAVAILABLE']) },
    },
    handler: async (req) => {
      const call = await reading(() => calls.detail(req.params.id));
      if (call === undefined) throw new ApiError('CALL_NOT_FOUND', `no call '${req.params.id}'`);
      return call;
    },
  });

  app.get('/analytics', {
    schema: {
      operationId: 'getAnalytics',
      summary: 'Per-number figures by period: calls by disposition, answer rate, talk time, turn latency, barge-in and transfer rates, MOS',
      tags: ['analytics'],
      querystring: analyticsQuerySchema,
      response: { 200: analyticsSchema, ...problemResponses(['VALIDATION_FAILED', 'FILTER_INVALID', 'STORE_UNAVAILABLE']) },
    },
    handler: async (req) => {
      const source = opts.history;
      if (source === undefined) throw new ApiError('STORE_UNAVAILABLE', 'no call store is configured');
      const to = req.query.to === undefined ? Date.now() : Date.parse(req.query.to);
      const from = req.query.from === undefined ? to - WEEK_MS : Date.parse(req.query.from);
      const interval = req.query.interval;
      const periods = await reading(() => source.analytics({ from, to, interval, ...(req.query.number === undefined ? {} : { number: req.query.number }) }));
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        interval,
        periods: periods.map((p) => ({ ...p, start: new Date(p.start).toISOString() })),
      };
    },
  });
};

function filterOf(q: HistoryQuery): HistoryFilter {
  const createdFrom = q.createdFrom === undefined ? undefined : Date.parse(q.createdFrom);
  const createdTo = q.createdTo === undefined ? undefined : Date.parse(q.createdTo);
  if (createdFrom !== undefined && createdTo !== undefined && !(createdFrom < createdTo)) throw new ApiError('FILTER_INVALID', '`createdFrom` must be before `createdTo`');
  return {
    ...(q.number === undefined ? {} : { number: q.number }),
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(q.direction === undefined ? {} : { direction: q.direction }),
    ...(q.status === undefined ? {} : { status: q.status }),
    ...(q.disposition === undefined ? {} : { disposition: q.disposition }),
    ...(q.trunk === undefined ? {} : { trunk: q.trunk }),
    ...(createdFrom === undefined ? {} : { createdFrom }),
    ...(createdTo === undefined ? {} : { createdTo }),
  };
}

function cursorOf(token: string | undefined): CursorKey | undefined {
  if (token === undefined) return undefined;
  try {
    return decodeCursor(token);
  } catch (err) {
    if (err instanceof CursorError) throw new ApiError('CURSOR_INVALID', err.message);
    throw err;
  }
}

/** This request's URL with `cursor` set to the next page's. */
function nextUrl(req: FastifyRequest, cursor: string): string {
  const [path = '', query = ''] = req.url.split('?', 2);
  const params = new URLSearchParams(query);
  params.set('cursor', cursor);
  return `${path}?${params.toString()}`;
}
