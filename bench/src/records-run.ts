/**
 * `--records on|off|both`: the same fixed inbound load on a gateway with call records and webhooks on (the store,
 * SQLite in a fresh folder, and one webhook endpoint on the bench's sink, every call event type) or off
 * (`database.enabled: false`). `both` alternates off, on, off, on, each on a fresh gateway, so drift on a shared
 * machine shows in the pairs. An `on` run waits after the tear-down until every call's record is written and its
 * webhooks delivered (bounded), so the whole-life CPU figure includes that work.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { loadTarget } from './direction-run.js';
import { startGateway, type GatewayLaunch, type GatewayStats } from './gateway-process.js';
import { LoadGenerator } from './load/load-generator.js';
import type { SinkCounts } from './webhook-sink/serve.js';
import { runPhase, type PhaseOptions, type PhaseResult } from './run-phase.js';

export type RecordsMode = 'on' | 'off';
export const RECORDS_CHOICES = ['on', 'off', 'both'] as const;
export type RecordsChoice = (typeof RECORDS_CHOICES)[number];

/** The runs of a `--records` choice, in order. */
export function recordsOrder(choice: RecordsChoice): RecordsMode[] {
  return choice === 'both' ? ['off', 'on', 'off', 'on'] : [choice];
}

export interface RecordsRun {
  readonly mode: RecordsMode;
  readonly phase: PhaseResult;
  readonly stats: GatewayStats | undefined;
  /** What the sink received from this run's gateway (on runs). */
  readonly sink: SinkCounts | undefined;
  /** Whether every record was written and every webhook delivered before the drain's bound (on runs). */
  readonly drained: boolean | undefined;
}

export interface WebhookSink {
  readonly url: string;
  counts(): Promise<SinkCounts>;
}

const DRAIN_BOUND_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runRecords(
  mode: RecordsMode,
  launch: Omit<GatewayLaunch, 'records' | 'outbound'>,
  options: PhaseOptions,
  sink: WebhookSink,
  log: (line: string) => void,
): Promise<RecordsRun> {
  const records = mode === 'on' ? { mode, dataDir: mkdtempSync(join(launch.workDir, 'records-')), webhookUrl: sink.url } as const : { mode } as const;
  const gateway = await startGateway({ ...launch, records });
  try {
    log(`gateway pid ${gateway.child.pid} (records ${mode}): SIP udp 127.0.0.1:${gateway.sipPort}, HTTP ${gateway.httpPort}`);
    const base = mode === 'on' ? await sink.counts() : undefined;
    let drained: boolean | undefined;
    const drain = base === undefined ? undefined : async (answered: number): Promise<void> => {
      // Every answered call: its record applied, and its ringing, answered and ended webhooks delivered.
      const deadline = performance.now() + DRAIN_BOUND_MS;
      drained = false;
      while (performance.now() < deadline) {
        const [stats, counts] = await Promise.all([gateway.stats(), sink.counts()]);
        const ended = (counts.byType['call.ended'] ?? 0) - (base.byType['call.ended'] ?? 0);
        const queued = stats?.store?.['queued'];
        if (ended >= answered && queued === 0) {
          drained = true;
          return;
        }
        await sleep(200);
      }
    };
    log(`records ${mode} phase`);
    const phase = await runPhase(() => LoadGenerator.create(loadTarget(gateway.sipPort, launch.codec)), gateway.child.pid, options, log, drain);
    const stats = await gateway.stats();
    const after = base === undefined ? undefined : await sink.counts();
    return { mode, phase, stats, sink: after === undefined || base === undefined ? undefined : minus(after, base), drained };
  } finally {
    await gateway.child.stop();
  }
}

function minus(a: SinkCounts, b: SinkCounts): SinkCounts {
  const byType: Record<string, number> = {};
  for (const [type, n] of Object.entries(a.byType)) byType[type] = n - (b.byType[type] ?? 0);
  return { requests: a.requests - b.requests, deliveries: a.deliveries - b.deliveries, byType };
}
