/**
 * Seeds a SQLite file with the gateway's real schema (its migrations) and N call records written through the
 * records contract (recordToRow, timelineToRows), in transactions of 10,000 rows with prepared statements: about a
 * second per 100,000 records on the bench machine. Deterministic from the seed.
 */
import { randomUUID } from 'node:crypto';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider, openNodeSqlite, recordToRow, timelineToRows, type CallRecord, type Database } from '@patchbay/gateway';
import { prng } from '../prng.js';

export const DAY_MS = 86_400_000;
/** Routing patterns, Zipf-weighted: the first gets most calls. */
export const PATTERNS = Array.from({ length: 20 }, (_, i) => `+1${String(555 + i * 7)}*`);

export interface SeedOptions {
  path: string;
  records: number;
  /** Timeline rows per record. */
  events: number;
  /** The newest call's created_at; records spread over `days` before it. */
  endMs: number;
  days: number;
  seed?: number;
}

export interface Seeded {
  db: Kysely<Database>;
  /** Every record's key in insertion (oldest-first) order. */
  createdAt: Float64Array;
  ids: string[];
  /** Records per pattern. */
  perPattern: number[];
  seedMs: number;
  close(): Promise<void>;
}

const DISPOSITIONS: readonly [CallRecord['disposition'], number][] = [['completed', 0.75], ['no-answer', 0.1], ['busy', 0.05], ['failed', 0.05], ['canceled', 0.05]];

export async function seed(options: SeedOptions): Promise<Seeded> {
  const database = openNodeSqlite(options.path);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error !== undefined) throw error;
  const native = database.native;
  const random = prng(options.seed ?? 13);
  const weights = PATTERNS.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickPattern = (): number => {
    let r = random() * total;
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i] ?? 0) <= 0) return i;
    return weights.length - 1;
  };
  const pickDisposition = (): CallRecord['disposition'] => {
    let r = random();
    for (const [d, p] of DISPOSITIONS) if ((r -= p) <= 0) return d;
    return 'completed';
  };
  const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');

  // Seeding only: a large page cache (random UUID keys touch the whole id index) and no syncs. Put back after.
  native.exec('PRAGMA cache_size = -262144; PRAGMA synchronous = OFF');
  const started = performance.now();
  const step = (options.days * DAY_MS) / options.records;
  const startMs = options.endMs - options.days * DAY_MS;
  const createdAt = new Float64Array(options.records);
  const ids: string[] = new Array<string>(options.records);
  const perPattern = PATTERNS.map(() => 0);
  let callsInsert: ReturnType<typeof native.prepare> | undefined;
  let eventsInsert: ReturnType<typeof native.prepare> | undefined;
  const BATCH = 10_000;
  for (let base = 0; base < options.records; base += BATCH) {
    native.exec('BEGIN');
    for (let i = base; i < Math.min(options.records, base + BATCH); i++) {
      // Every tenth call shares its predecessor's millisecond: the cursor's tie-break is exercised.
      const c = i % 10 === 9 ? (createdAt[i - 1] ?? startMs) : Math.round(startMs + i * step);
      const id = randomUUID();
      createdAt[i] = c;
      ids[i] = id;
      const p = pickPattern();
      perPattern[p] = (perPattern[p] ?? 0) + 1;
      const record = recordOf(id, c, PATTERNS[p] ?? '*', pickDisposition(), digits, random);
      const row = recordToRow(record, 'bench');
      if (callsInsert === undefined) callsInsert = native.prepare(`INSERT INTO calls (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map(() => '?').join(', ')})`);
      callsInsert.run(...Object.values(row));
      if (options.events > 0) {
        const timeline = Array.from({ length: options.events }, (_, k) => ({ at: new Date(c + 1000 * (k + 1)).toISOString(), type: 'turn' as const, data: { index: k + 1, latencyMs: 400 + Math.round(random() * 600) } }));
        for (const e of timelineToRows(id, timeline)) {
          eventsInsert ??= native.prepare('INSERT INTO call_events (call_id, seq, at, type, data_json) VALUES (?, ?, ?, ?, ?)');
          eventsInsert.run(e.call_id, e.seq, e.at, e.type, e.data_json);
        }
      }
    }
    native.exec('COMMIT');
  }
  const seedMs = performance.now() - started;
  native.exec('PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_size = -2000; PRAGMA synchronous = NORMAL');
  return { db, createdAt, ids, perPattern, seedMs, close: () => db.destroy() };
}

function recordOf(id: string, c: number, number: string, disposition: CallRecord['disposition'], digits: (n: number) => string, random: () => number): CallRecord {
  const answered = disposition === 'completed';
  const talkMs = answered ? 5_000 + Math.round(random() * 300_000) : null;
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    id,
    direction: random() < 0.8 ? 'inbound' : 'outbound',
    status: disposition ?? 'completed',
    from: `+1${digits(10)}`,
    to: `${number.slice(0, -1)}${digits(12 - (number.length - 1))}`,
    number,
    trunk: random() < 0.5 ? 'carrier-a' : 'carrier-b',
    agent: { kind: 'websocket', target: 'wss://agent.example/voice' },
    codec: 'PCMU',
    createdAt: iso(c),
    ringingAt: iso(c + 50),
    answeredAt: answered ? iso(c + 1_000) : null,
    endedAt: iso(c + 1_000 + (talkMs ?? 20_000)),
    ringMs: answered ? 950 : null,
    talkMs,
    disposition,
    sipStatus: answered ? 200 : 486,
    endReason: answered ? 'remote-bye' : 'busy',
    transfer: null,
    dtmfCount: 0,
    bargeIns: answered ? Math.floor(random() * 3) : 0,
    turns: answered ? 2 : 0,
    turnLatencyMs: answered ? { p50: 600, p95: 900 } : null,
    quality: answered ? { packetsExpected: talkMs === null ? 0 : talkMs / 20, packetsLost: 1, jitterMs: 1.2, mos: 4.1 + random() * 0.3 } : null,
    stages: { stt: null, llm: null, tts: null, realtime: null },
    recording: null,
    routing: { source: 'config', action: 'agent' },
  };
}
