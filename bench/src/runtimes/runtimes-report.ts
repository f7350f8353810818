/**
 * The runtime comparison's result (`<date>-runtimes.json`) and its Markdown table (pure): the same fixed run with
 * the gateway on each Node, and the floor relay once, in one session.
 */
import { benchCommand, DASH, formatFixed, formatMs, formatRatio } from '../report/format.js';
import type { BenchOptions, Distribution, MachineInfo } from '../report/types.js';

export interface RuntimeRow {
  /** `gateway` on a Node, or the `floor` relay. */
  readonly target: 'gateway' | 'floor';
  readonly node: string;
  readonly cpuMsPerCallSecond: number;
  /** The target's CPU over the hold window as a share of one core. */
  readonly cpuCoreShare: number;
  /** Every core's busy share over the phase, all processes (−1: not measured). */
  readonly machineBusyPct: number;
  readonly callsUp: number;
  readonly lossPct: number;
  readonly setupMs: Distribution;
  readonly uplinkMs: Distribution;
  readonly downlinkMs: Distribution;
  readonly roundTripMs: Distribution;
  readonly turnMs: Distribution;
  readonly bargeInMs: Distribution;
  /** Failed calls by reason (empty when none failed). */
  readonly failures: Readonly<Record<string, number>>;
}

export interface RuntimesResult {
  readonly name: string;
  readonly startedAt: string;
  readonly durationS: number;
  /** The machine; `node` is the bench's own (load generator, agents, floor relay). */
  readonly machine: MachineInfo;
  readonly options: BenchOptions;
  readonly runtimes: readonly number[];
  readonly rows: readonly RuntimeRow[];
  readonly notes: readonly string[];
}

const pair = (d: Distribution): string => (d.count === 0 ? DASH : `${formatMs(d.p50)} / ${formatMs(d.p99)}`);

export function runtimesMarkdown(r: RuntimesResult): string {
  const floor = r.rows.find((row) => row.target === 'floor');
  const lines = [
    `# Patchbay bench: the gateway on Node ${r.runtimes.join(', ')}`,
    '',
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${r.durationS} s. ${r.machine.cpuModel} (${r.machine.cores} cores), ${r.machine.memGiB} GiB RAM, ${r.machine.os}.`,
    `${r.options.calls} calls at ${r.options.rate}/s held ${r.options.durationS} s, ${r.options.codec}, ${r.options.agent} agents; the load generator, agents and floor relay on Node ${r.machine.node}.`,
    '',
    `\`${benchCommand(r.options)} --runtimes ${r.runtimes.join(',')}\``,
    '',
    '| target | Node | CPU ms per call-second | ×floor | uplink p50 / p99 ms | downlink p50 / p99 ms | round trip p50 / p99 ms | turn p50 / p99 ms | barge-in p50 / p99 ms | setup p50 / p99 ms | loss % | machine busy % |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of r.rows) {
    const gatewayOnly = (d: Distribution): string => (row.target === 'floor' ? DASH : pair(d));
    lines.push(
      `| ${row.target} | ${row.node} | ${formatFixed(row.cpuMsPerCallSecond, 2)} | ${row.target === 'floor' ? '1×' : formatRatio(row.cpuMsPerCallSecond, floor?.cpuMsPerCallSecond)} | ` +
        `${pair(row.uplinkMs)} | ${pair(row.downlinkMs)} | ${pair(row.roundTripMs)} | ${gatewayOnly(row.turnMs)} | ${gatewayOnly(row.bargeInMs)} | ${pair(row.setupMs)} | ${formatFixed(row.lossPct, 3)} | ${row.machineBusyPct < 0 ? DASH : formatFixed(row.machineBusyPct, 0)} |`,
    );
  }
  lines.push('');
  for (const note of r.notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}
