/**
 * `npm run bench -- --runtimes 20,22,24`: the default fixed run with the gateway on each Node line in turn, in one
 * session, then the floor relay under the same load, and one table. Only the gateway changes runtime: the load
 * generator, the scripted agents and the floor relay stay on the bench's own Node, so every row meets the same peers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliOptions } from '../cli.js';
import { fetchHops, startGateway } from '../gateway-process.js';
import { LoadGenerator, type LoadTarget } from '../load/load-generator.js';
import { machineInfo } from '../machine.js';
import { startTsx, waitForHttp, type Child } from '../proc/child.js';
import { datePart } from '../report/format.js';
import type { Distribution } from '../report/types.js';
import { slug } from '../report/write.js';
import { runPhase, type PhaseResult } from '../run-phase.js';
import { EMPTY_DISTRIBUTION } from '../stats.js';
import { installNode, type NodeRuntime } from './install-node.js';
import { runtimesMarkdown, type RuntimeRow, type RuntimesResult } from './runtimes-report.js';

export interface RuntimesContext {
  readonly repoRoot: string;
  /** The bench's own src/ (agents/serve.ts, floor/relay.ts). */
  readonly benchSrc: string;
  readonly workDir: string;
  readonly target: (sipPort: number) => LoadTarget;
  readonly log: (line: string) => void;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** Busy and total jiffies of all cores (/proc/stat), to tell a quiet machine from one shared with other work. */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** The machine's busy share (all cores, every process) over a phase, %. */
async function measuredBusy<T>(work: () => Promise<T>): Promise<{ value: T; machineBusyPct: number | undefined }> {
  const before = cpuTimes();
  const value = await work();
  const after = cpuTimes();
  const machineBusyPct = before && after && after.total > before.total ? round((100 * (after.busy - before.busy)) / (after.total - before.total)) : undefined;
  return { value, machineBusyPct };
}

function row(target: RuntimeRow['target'], node: string, phase: PhaseResult, hops: Record<string, Distribution> | undefined, machineBusyPct: number | undefined): RuntimeRow {
  return {
    target,
    node,
    cpuMsPerCallSecond: round(phase.cpuMsPerCallSecond),
    cpuCoreShare: round(phase.cpuCoreShare),
    machineBusyPct: machineBusyPct ?? -1,
    callsUp: phase.callsUp,
    lossPct: round(phase.lossPct),
    setupMs: phase.setupMs,
    uplinkMs: hops?.['uplinkMs'] ?? EMPTY_DISTRIBUTION,
    downlinkMs: hops?.['downlinkMs'] ?? EMPTY_DISTRIBUTION,
    roundTripMs: phase.roundTripMs,
    turnMs: phase.turnMs,
    bargeInMs: phase.bargeInMs,
    failures: phase.failures,
  };
}

export async function runRuntimes(options: CliOptions & { runtimes: readonly number[] }, ctx: RuntimesContext): Promise<string[]> {
  const startedAt = new Date();
  const t0 = performance.now();
  const { log } = ctx;
  // Install every runtime first, so that no install runs between two measured phases.
  const runtimes: NodeRuntime[] = options.runtimes.map((major) => installNode(ctx.repoRoot, major));
  for (const r of runtimes) log(`Node ${r.major}: ${r.version} (${r.path})`);

  const children: Child[] = [];
  const rows: RuntimeRow[] = [];
  try {
    const agents = await startTsx(join(ctx.benchSrc, 'agents/serve.ts'), [], {});
    children.push(agents.child);
    const urls = JSON.parse(agents.firstLine) as { echoUrl: string; turnUrl: string; talkerUrl: string; rawEchoUrl: string };
    for (const runtime of runtimes) {
      const gateway = await startGateway({
        repoRoot: ctx.repoRoot,
        workDir: ctx.workDir,
        echoAgent: options.agent === 'in-process' ? 'echo' : urls.echoUrl,
        turnAgentUrl: urls.turnUrl,
        talkerAgentUrl: urls.talkerUrl,
        maxCalls: options.calls,
        workers: options.workers ?? 0,
        codec: options.codec,
        node: runtime.path,
      });
      children.push(gateway.child);
      log(`gateway on Node ${runtime.version}, pid ${gateway.child.pid}`);
      const { value: phase, machineBusyPct } = await measuredBusy(() => runPhase(() => LoadGenerator.create(ctx.target(gateway.sipPort)), gateway.child.pid, options, log));
      const stats = await gateway.stats();
      rows.push(row('gateway', runtime.version, phase, stats?.hops, machineBusyPct));
      log(`  CPU ${phase.cpuMsPerCallSecond.toFixed(2)} ms per call-second, loss ${phase.lossPct.toFixed(3)} %, machine ${String(machineBusyPct)} % busy`);
      await gateway.child.stop();
    }
    log(`floor relay on Node ${process.version} (UDP → WebSocket → UDP, same load)`);
    const relay = await startTsx(join(ctx.benchSrc, 'floor/relay.ts'), [urls.rawEchoUrl], {});
    children.push(relay.child);
    const ports = JSON.parse(relay.firstLine) as { sipPort: number; httpPort: number };
    await waitForHttp(`http://127.0.0.1:${ports.httpPort}/healthz`);
    const { value: floorPhase, machineBusyPct } = await measuredBusy(() => runPhase(() => LoadGenerator.create(ctx.target(ports.sipPort)), relay.child.pid, options, log));
    rows.push(row('floor', process.version, floorPhase, await fetchHops(`http://127.0.0.1:${ports.httpPort}/stats`), machineBusyPct));
    await relay.child.stop();
  } finally {
    for (const child of children.reverse()) await child.stop();
  }

  const failed = rows.filter((r) => Object.keys(r.failures).length > 0).map((r) => `${r.target} on ${r.node}: ${JSON.stringify(r.failures)}`);
  const result: RuntimesResult = {
    name: options.name,
    startedAt: startedAt.toISOString(),
    durationS: Math.round((performance.now() - t0) / 100) / 10,
    machine: machineInfo(),
    options: { calls: options.calls, rate: options.rate, durationS: options.durationS, codec: options.codec, agent: options.agent, mode: 'fixed', workers: options.workers ?? 0 },
    runtimes: options.runtimes,
    rows,
    notes: [
      'one session: the gateway on each Node in the order listed (same agents process, a fresh gateway process each), then the floor relay once',
      'only the gateway changes runtime; the load generator, the agents (their own process) and the floor relay run on the bench\'s Node',
      'CPU per call-second: the gateway process\'s user+system CPU over the hold window (every call up) ÷ call-seconds held; ×floor divides by the floor relay\'s',
      'machine busy: every core, every process (this bench\'s and any other work on the machine) over the phase, from /proc/stat; the gateway\'s own share of one core is in the JSON (cpuCoreShare)',
      'the floor relay echoes without a turn detector or barge-in: those columns are the gateway\'s alone',
      'uplink/downlink: measured inside the gateway (GET /stats; jitter-buffer and lead-buffer waits included); round trip, turn, barge-in, setup and loss at the load generator',
      'Node 20 is end of life and unsupported: the gateway runs on it here with PATCHBAY_UNSUPPORTED_NODE=1, tracing off, for the comparison only',
      ...(failed.length > 0 ? [`failed calls: ${failed.join('; ')}`] : []),
    ],
  };
  mkdirSync(options.outDir, { recursive: true });
  const base = join(options.outDir, `${datePart(result.startedAt)}-${slug(result.name)}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  const markdown = runtimesMarkdown(result);
  writeFileSync(`${base}.md`, markdown);
  log('');
  log(markdown);
  return [`${base}.json`, `${base}.md`];
}
