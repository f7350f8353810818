/**
 * Writing a finished record: the store's write queue applies each `call-record` op with `applyCallRecord`, in its own
 * transaction, maybe more than once (after a crash, a replayed spill file): an upsert of the `calls` row by id and of
 * the timeline and transcript rows by (call_id, seq), and rows past the record's length removed, so applying the
 * same record (or a newer version of it) any number of times leaves exactly that record.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { StoreWriter } from '../store/types.js';
import type { CallDetail } from './record.js';
import { recordToRow, timelineToRows, transcriptToRows } from './rows.js';

/** The write kind of a finished record. */
export const CALL_RECORD_WRITE = 'call-record';

/** What a `call-record` op carries (JSON: it may go through the spill file). */
export interface CallRecordWrite {
  gatewayId: string;
  record: CallDetail;
}

export class RecordWriteError extends Error {
  readonly code = 'RECORD_WRITE_INVALID';
}

/** Rows per INSERT: well under both engines' bound-parameter limits (6 columns a row). */
const CHUNK = 200;

export function registerCallRecordWrites(writer: Pick<StoreWriter, 'register'>): void {
  writer.register(CALL_RECORD_WRITE, applyCallRecord);
}

export async function applyCallRecord(trx: Transaction<Database>, data: unknown): Promise<void> {
  const { gatewayId, record } = readWrite(data);
  const row = recordToRow(record, gatewayId);
  const { id: _id, ...update } = row;
  await trx
    .insertInto('calls')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(update))
    .execute();

  const events = timelineToRows(record.id, record.timeline);
  for (let i = 0; i < events.length; i += CHUNK) {
    await trx
      .insertInto('call_events')
      .values(events.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc.columns(['call_id', 'seq']).doUpdateSet((eb) => ({ at: eb.ref('excluded.at'), type: eb.ref('excluded.type'), data_json: eb.ref('excluded.data_json') })),
      )
      .execute();
  }
  await trx.deleteFrom('call_events').where('call_id', '=', record.id).where('seq', '>=', events.length).execute();

  const lines = transcriptToRows(record.id, record.transcript);
  for (let i = 0; i < lines.length; i += CHUNK) {
    await trx
      .insertInto('call_transcripts')
      .values(lines.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc.columns(['call_id', 'seq']).doUpdateSet((eb) => ({ at: eb.ref('excluded.at'), role: eb.ref('excluded.role'), text: eb.ref('excluded.text'), final: eb.ref('excluded.final') })),
      )
      .execute();
  }
  await trx.deleteFrom('call_transcripts').where('call_id', '=', record.id).where('seq', '>=', lines.length).execute();
}

/** The op's data, checked for the shape the rows need (it may have been read back from a spill file). */
function readWrite(data: unknown): CallRecordWrite {
  if (typeof data !== 'object' || data === null || !('gatewayId' in data) || !('record' in data)) throw new RecordWriteError('call-record op without gatewayId and record');
  const { gatewayId, record } = data;
  if (typeof gatewayId !== 'string' || typeof record !== 'object' || record === null) throw new RecordWriteError('call-record op with a bad gatewayId or record');
  if (!('id' in record) || typeof record.id !== 'string' || !('timeline' in record) || !Array.isArray(record.timeline) || !('transcript' in record) || !Array.isArray(record.transcript)) {
    throw new RecordWriteError('call-record op whose record has no id, timeline or transcript');
  }
  return { gatewayId, record: record as CallDetail };
}
