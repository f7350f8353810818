/**
 * Call records for a running gateway: the builder on the lifecycle stream, each finished record queued on the store
 * (when there is one) and told to `onRecord` listeners. gateway.ts calls `startRecords` once and closes it after the
 * media plane has shut down (so the last calls' media reports are in). docs/records.md.
 */
import type { Logger } from 'pino';
import type { CallEvents } from '../call/events.js';
import type { Store } from '../store/types.js';
import { CALL_RECORD_WRITE, registerCallRecordWrites, type CallRecordWrite } from './applier.js';
import type { RecordLimits } from './call-accumulator.js';
import { RecordBuilder, type RecordBuilderStats } from './builder.js';
import type { CallRecordSource } from './record.js';

export interface RecordsOptions {
  events: Pick<CallEvents, 'on'>;
  /** Where records are written; undefined: records are built and told to listeners only. */
  store: Pick<Store, 'writer'> | undefined;
  /** Written with each record (several gateways may share one database). */
  gatewayId: string;
  logger: Logger;
  mediaWaitMs?: number;
  limits?: RecordLimits;
}

export interface Records extends CallRecordSource {
  readonly stats: RecordBuilderStats;
  /** Finishes the records still waiting for their media, stops listening. Idempotent. */
  close(): void;
}

export function startRecords(options: RecordsOptions): Records {
  const { store, gatewayId } = options;
  if (store !== undefined) registerCallRecordWrites(store.writer);
  const builder = new RecordBuilder({
    events: options.events,
    logger: options.logger.child({ layer: 'records' }),
    sink: store === undefined ? undefined : (record) => store.writer.enqueue({ kind: CALL_RECORD_WRITE, data: { gatewayId, record } satisfies CallRecordWrite }),
    ...(options.mediaWaitMs === undefined ? {} : { mediaWaitMs: options.mediaWaitMs }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    stats: builder.stats,
    onRecord: (listener) => builder.onRecord(listener),
    close: () => builder.close(),
  };
}
