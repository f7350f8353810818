/**
 * One run of the records-cost bench: `calls` synthetic calls' lifecycle events (the real CallEvents shapes) through
 * the gateway's real records builder and, `on`, the real store (SQLite on its worker thread, a file in a temp
 * folder) and webhooks (one endpoint on the bench's sink, its own process). Measures this process's CPU (main and
 * worker threads) from the first event until, `on`, every record is applied and every webhook delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallEvents } from '../../../gateway/src/call/events.js';
import { newCall, type Call } from '../../../gateway/src/call/call.js';
import { resolvePlan } from '../../../gateway/src/call/plan.js';
import { parseConfig, type Config } from '../../../gateway/src/config.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import type { MediaTimelineEvent } from '../../../gateway/src/media/timeline.js';
import { startRecords } from '../../../gateway/src/records/start.js';
import { openStore } from '../../../gateway/src/store/open-store.js';
import type { Store } from '../../../gateway/src/store/types.js';
import { startWebhooks, type RunningWebhooks } from '../../../gateway/src/webhooks/index.js';

/** off: records built, not stored; records: stored, no webhook endpoint; on: stored and three webhooks a call. */
export type CostMode = 'on' | 'off' | 'records';

export interface DriveOptions {
  readonly calls: number;
  /** New calls per second (each call's events span a few ticks, like set-up, talk and tear-down compressed). */
  readonly rate: number;
  readonly sinkUrl: string;
}

export interface DriveResult {
  readonly mode: CostMode;
  /** Process CPU (user + system, every thread) over the run, ms. */
  readonly cpuMs: number;
  readonly wallMs: number;
  /** Records built (and, on and records, applied: the run waits for it). */
  readonly records: number;
  readonly delivered: number;
}

const SECRET_ENV = 'PATCHBAY_BENCH_WEBHOOK_SECRET';
const ENV = { [SECRET_ENV]: `whsec_${Buffer.alloc(32, 0x5a).toString('base64')}` };
/** The bench's endpoint: every call event type (this load has no transfers: ringing, answered, ended per call). */
const EVENTS = ['call.ringing', 'call.answered', 'call.ended', 'call.transferred'];
/** Ticks of 10 ms (longer below 100 calls/s): media events two ticks after the answer, the end four ticks after it. */
const TICK_MS = 10;
const MEDIA_AFTER = 2;
const END_AFTER = 4;

/** A call's media timeline like the bench's turn agents: 3 turns, each with its stages and two transcript lines. */
function timeline(atMs: number): MediaTimelineEvent[] {
  const out: MediaTimelineEvent[] = [];
  for (let i = 1; i <= 3; i++) {
    const t = atMs + i * 1000;
    out.push(
      { type: 'transcript', atMs: t, role: 'caller', text: `caller line number ${i} asking something`, final: true },
      { type: 'stage', atMs: t + 1, stage: 'llm', ms: 310 },
      { type: 'stage', atMs: t + 2, stage: 'tts', ms: 95 },
      { type: 'turn', atMs: t + 3, index: i, latencyMs: 420 + i },
      { type: 'transcript', atMs: t + 4, role: 'agent', text: `agent answer number ${i}, with a few more words`, final: true },
    );
  }
  return out;
}

function configFor(mode: CostMode, dataDir: string, sinkUrl: string): Config {
  return parseConfig(
    {
      numbers: { '*': { agent: 'echo' } },
      ...(mode === 'off' ? { database: { enabled: false } } : { database: { dataDir } }),
      ...(mode === 'on' ? { webhooks: { endpoints: [{ name: 'bench-sink', url: sinkUrl, secretEnv: SECRET_ENV, events: EVENTS }] } } : {}),
    },
    ENV,
  );
}

export async function drive(mode: CostMode, o: DriveOptions): Promise<DriveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-records-cost-'));
  const config = configFor(mode, dir, o.sinkUrl);
  const route = config.numbers['*'];
  if (route === undefined) throw new Error('no * route');
  const events = new CallEvents((err) => {
    throw err;
  });
  let store: Store | undefined;
  let webhooks: RunningWebhooks | undefined;
  if (mode !== 'off') store = await openStore(config.database, { logger: silentLogger, baseDir: dir, gatewayId: 'bench', retention: false });
  const records = startRecords({ events, store, gatewayId: 'bench', logger: silentLogger });
  if (store !== undefined) webhooks = startWebhooks({ config: config.webhooks, numbers: config.numbers, env: ENV, store, events, records, logger: silentLogger, gatewayId: 'bench' });
  let built = 0;
  records.onRecord(() => void built++);

  // At least 10 ms a tick; below 100 calls/s one call every `tickMs`.
  const tickMs = Math.max(TICK_MS, 1000 / o.rate);
  const perTick = Math.max(1, Math.round((o.rate * tickMs) / 1000));
  const ticks = Math.ceil(o.calls / perTick);
  const byTick: Call[][] = [];
  const startWall = performance.now();
  const startCpu = process.cpuUsage();
  let made = 0;
  for (let k = 0; k < ticks + END_AFTER + 1; k++) {
    const fresh: Call[] = [];
    for (let i = 0; i < perTick && made < o.calls; i++, made++) {
      const id = `00000000-0000-4000-8000-${made.toString(16).padStart(12, '0')}`;
      const plan = resolvePlan(config, { direction: 'inbound', from: '+15550100001', to: `+1555020${(made % 1000).toString().padStart(4, '0')}`, pattern: '*', route });
      const call = newCall({ id, sipCallId: `${id}@bench`, localTag: 'tag', key: id, plan, remote: { transport: 'udp', address: '127.0.0.1', port: 5062 } });
      events.emit({ type: 'created', call });
      events.emit({ type: 'agent-connect', call, report: { startMs: call.times.createdAt, endMs: call.times.createdAt + 40, outcome: 'connected' } });
      call.times.ringingAt = Date.now();
      call.state = 'ringing';
      events.emit({ type: 'ringing', call });
      call.times.answeredAt = Date.now();
      call.sipStatus = 200;
      call.state = 'answered';
      events.emit({ type: 'answered', call });
      events.emit({ type: 'confirmed', call });
      fresh.push(call);
    }
    byTick.push(fresh);
    for (const call of byTick[k - MEDIA_AFTER] ?? []) for (const event of timeline(call.times.createdAt)) events.emit({ type: 'media-timeline', callId: call.id, event });
    for (const call of byTick[k - END_AFTER] ?? []) {
      const endedAt = Date.now();
      call.times.endedAt = endedAt;
      call.state = 'ended';
      call.endReason = 'remote-bye';
      const answeredAt = call.times.answeredAt ?? endedAt;
      events.emit({ type: 'ended', call, reason: 'remote-bye', sipStatus: 200, disposition: 'completed', durations: { totalMs: endedAt - call.times.createdAt, ringMs: 0, talkMs: endedAt - answeredAt } });
      const quality = { codec: 'PCMU', durationMs: endedAt - answeredAt, packetsExpected: 1200, packetsLost: 0, jitterMs: 1.2, oneWayDelayMs: 20, jitterBufferDepthMs: 40 };
      events.emit({ type: 'media-ended', callId: call.id, pattern: '*', bargeIn: { onsets: 0, confirmedByConfirmer: 0, rejectedByConfirmer: 0, interruptions: 0, falseBargeIns: 0, reactionMs: [], staleDroppedMs: 0 }, quality });
    }
    await sleep(tickMs);
  }
  // Every record built and, on, applied and its three webhooks delivered (bounded).
  const deadline = performance.now() + 120_000;
  const webhooksPerCall = mode === 'on' ? 3 : 0;
  const done = (): boolean =>
    built >= o.calls && (store === undefined || (store.stats().applied >= o.calls * (1 + webhooksPerCall) && (webhooks?.stats().delivered ?? 0) >= o.calls * webhooksPerCall));
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${mode}: not done in 120 s: built ${built}, applied ${store?.stats().applied}, delivered ${webhooks?.stats().delivered}`);
    await sleep(5);
  }
  const cpu = process.cpuUsage(startCpu);
  const wallMs = performance.now() - startWall;
  const result: DriveResult = { mode, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, records: built, delivered: webhooks?.stats().delivered ?? 0 };
  records.close();
  await webhooks?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}
