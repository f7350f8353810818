/**
 * API bench: `GET /v1/calls` over HTTP with 1,000,000 stored call records (the issue's figure).
 * Run from the repo root: `npm run bench:api-history [-- --records N --events K --requests R --no-write]`.
 *
 * Seeds a SQLite file in a temporary folder (seed.ts), starts the gateway's HTTP server (the real API plugin: access
 * check, zod validation and serialization, the history merging 20 live calls from a CallControl with the stored
 * records), and times sequential requests from a keep-alive client on loopback, each scenario after a warm-up:
 * the first page, deep cursor pages (between the 500,000th and the last record), a filtered page (one number and
 * one day, a different day each request), and one call's detail (record, timeline, transcript). Prints a markdown
 * table with each list query's SQLite plan and writes bench/results/<date>-api-history.md.
 * PostgreSQL: not measured yet (the shared PostgreSQL test harness is not merged in this branch).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, type Kysely } from 'kysely';
import { ApiAccess, CallHistoryQuery, createHttpServer, historyOf, type CallControl, type Database } from '@patchbay/gateway';
import { machineInfo } from '../machine.js';
import { prng } from '../prng.js';
import { DEFAULT_RESULTS_DIR } from '../report/write.js';
import { distribution } from '../stats.js';
import { DAY_MS, PATTERNS, seed } from './seed.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i < 0 ? undefined : Number(args[i + 1]);
  return v === undefined || !Number.isFinite(v) ? fallback : v;
};
const RECORDS = flag('records', 1_000_000);
const EVENTS = flag('events', 2);
const REQUESTS = flag('requests', 300);
const WARMUP = 30;
const DAYS = 30;
const write = !args.includes('--no-write');

const dir = mkdtempSync(join(tmpdir(), 'patchbay-api-history-'));
const endMs = Date.parse('2026-12-01T00:00:00.000Z');
const random = prng(7);

async function main(): Promise<void> {
  console.log(`seeding ${RECORDS.toLocaleString('en-US')} records (${EVENTS} timeline rows each) into ${dir} …`);
  const seeded = await seed({ path: join(dir, 'patchbay.db'), records: RECORDS, events: EVENTS, endMs, days: DAYS });
  console.log(`seeded in ${(seeded.seedMs / 1000).toFixed(1)} s`);
  const live = Array.from({ length: 20 }, (_, i) => ({
    id: `live-${i}`,
    direction: 'inbound' as const,
    status: 'answered' as const,
    from: '+15550100001',
    to: '+15550100002',
    number: PATTERNS[0] ?? '*',
    agent: { kind: 'url' as const, target: 'wss://agent.example/voice' },
    createdAt: new Date(endMs + i * 1000).toISOString(),
  }));
  const control: CallControl = {
    listCalls: () => live,
    getCall: (id) => live.find((c) => c.id === id),
    recentlyEnded: () => [],
    placeCall: () => Promise.reject(new Error('not in this bench')),
    hangup: () => Promise.reject(new Error('not in this bench')),
    transfer: () => Promise.reject(new Error('not in this bench')),
    forward: () => Promise.reject(new Error('not in this bench')),
    sendDtmf: () => Promise.reject(new Error('not in this bench')),
    monitor: () => Promise.reject(new Error('not in this bench')),
    monitorMode: () => Promise.reject(new Error('not in this bench')),
    unmonitor: () => Promise.reject(new Error('not in this bench')),
    listTrunks: () => [],
  };
  const loadBefore = loadavg()[0] ?? 0;
  const app = createHttpServer(
    { activeCalls: () => live.length, sipListening: () => true },
    { access: new ApiAccess([]), api: { control, callsPerMinute: 60, history: historyOf({ db: seeded.db, dialect: 'sqlite' }) } },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;

  const n = seeded.ids.length;
  /** A cursor at the record `fromNewest` places from the newest (its key; ties are ordered by id, any key is valid). */
  const cursorAt = (fromNewest: number): string => {
    const i = n - 1 - fromNewest;
    return Buffer.from(JSON.stringify(['v1', seeded.createdAt[i], seeded.ids[i]]), 'utf8').toString('base64url');
  };
  const filteredPattern = PATTERNS[3] ?? '*';
  const dayStart = (d: number): number => endMs - (d + 1) * DAY_MS;
  const scenarios: { name: string; path: () => string; expect: (body: unknown) => boolean }[] = [
    { name: 'First page (50, newest)', path: () => '/v1/calls', expect: (b) => pageLength(b) === 50 },
    { name: 'Deep cursor page (50, past the 500,000th)', path: () => `/v1/calls?cursor=${cursorAt(Math.floor(n / 2 + random() * (n / 2 - 100)))}`, expect: (b) => pageLength(b) === 50 },
    {
      name: `Filtered page (number ${filteredPattern} + one day)`,
      path: () => {
        const d = 1 + Math.floor(random() * (DAYS - 2));
        return `/v1/calls?number=${encodeURIComponent(filteredPattern)}&createdFrom=${new Date(dayStart(d)).toISOString()}&createdTo=${new Date(dayStart(d) + DAY_MS).toISOString()}`;
      },
      expect: (b) => pageLength(b) === 50,
    },
    { name: 'Detail GET /v1/calls/{id} (record + timeline + transcript)', path: () => `/v1/calls/${seeded.ids[Math.floor(random() * n)]}`, expect: (b) => Array.isArray((b as { timeline?: unknown }).timeline) },
  ];

  const rows: string[] = [];
  for (const s of scenarios) {
    const times: number[] = [];
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      const t0 = performance.now();
      const res = await fetch(base + s.path());
      const body: unknown = await res.json();
      const ms = performance.now() - t0;
      if (res.status !== 200 || !s.expect(body)) throw new Error(`${s.name}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      if (i >= WARMUP) times.push(ms);
    }
    const d = distribution(times);
    rows.push(`| ${s.name} | ${d.p50.toFixed(2)} | ${d.p99.toFixed(2)} | ${d.max.toFixed(2)} | ${d.count} |`);
    console.log(rows.at(-1));
  }

  const loadAfter = loadavg()[0] ?? 0;
  const plans = await queryPlans(seeded.db, filteredPattern, dayStart(10));
  await app.close();
  await seeded.close();
  rmSync(dir, { recursive: true, force: true });

  const m = machineInfo();
  const date = new Date().toISOString().slice(0, 10);
  const md = [
    `# Bench: api-history`,
    '',
    `- **Started:** ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- **Machine:** ${m.cpuModel} (${m.cores} cores), ${m.memGiB} GiB RAM, Node ${m.node}, ${m.os}`,
    `- **Store:** SQLite (node:sqlite, WAL, file in a temporary folder), ${RECORDS.toLocaleString('en-US')} call records over ${DAYS} days, ${EVENTS} timeline rows each, ${PATTERNS.length} numbers (Zipf), every tenth call sharing its predecessor's created_at; seeded in ${(seeded.seedMs / 1000).toFixed(1)} s. Plus 20 live calls merged in.`,
    `- **Client:** sequential requests over one keep-alive connection on loopback, ${WARMUP} warm-up then ${REQUESTS} timed per scenario (request sent → body parsed).`,
    `- **Load:** 1-minute load average ${loadBefore.toFixed(1)} before the timed requests, ${loadAfter.toFixed(1)} after (${m.cores} cores; other jobs on the machine show in the p99s).`,
    `- **Command:** \`npm run bench:api-history${RECORDS === 1_000_000 ? '' : ` -- --records ${RECORDS}`}\``,
    '- **PostgreSQL:** not measured in this run (the PostgreSQL test harness was not merged into this branch yet).',
    '',
    '## GET /v1/calls latency (ms)',
    '',
    '| Request | p50 | p99 | max | count |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '## SQLite query plans (EXPLAIN QUERY PLAN)',
    '',
    ...plans.flatMap(([name, plan]) => [`- ${name}: \`${plan}\``]),
    '',
  ].join('\n');
  console.log(`\n${md}`);
  if (write) {
    const file = join(DEFAULT_RESULTS_DIR, `${date}-api-history.md`);
    writeFileSync(file, md);
    console.log(`wrote ${file}`);
  }
}

function pageLength(body: unknown): number {
  const calls = (body as { calls?: unknown }).calls;
  return Array.isArray(calls) ? calls.length : -1;
}

/** The plan SQLite picks for each list query (the same SQL the API runs, compiled by Kysely). */
async function queryPlans(db: Kysely<Database>, pattern: string, from: number): Promise<[string, string][]> {
  const query = new CallHistoryQuery(db);
  const cases: [string, Parameters<CallHistoryQuery['compileList']>][] = [
    ['first page', [{}, 50]],
    ['deep cursor page', [{}, 50, { createdAt: from, id: 'ffffffff' }]],
    ['number + day', [{ number: pattern, createdFrom: from, createdTo: from + DAY_MS }, 50]],
  ];
  const out: [string, string][] = [];
  for (const [name, a] of cases) {
    const compiled = query.compileList(...a);
    if (compiled === undefined) continue;
    const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]));
    out.push([name, plan.rows.map((r) => r.detail).join('; ')]);
  }
  return out;
}

main().catch((err: unknown) => {
  console.error(err);
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = 1;
});
