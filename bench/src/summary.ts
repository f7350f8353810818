/** A few lines for the terminal (the full rendering is the report package's job). */
import { compareDirections, directionRuns } from './report/directions.js';
import type { BenchReport, Distribution } from './report/types.js';
import { parseDistribution } from './stats.js';

const d = (x: Distribution): string => (x.count === 0 ? 'not measured' : `p50 ${x.p50.toFixed(2)}  p95 ${x.p95.toFixed(2)}  p99 ${x.p99.toFixed(2)}  max ${x.max.toFixed(2)} ms  (n=${x.count})`);

export function printSummary(r: BenchReport, log: (line: string) => void): void {
  const m = r.machine;
  log('');
  log(`${r.name}: ${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, node ${m.node}, ${m.os}`);
  log(`setup       ${d(r.hops.setupMs)}`);
  log(`uplink      ${d(r.hops.uplinkMs)}`);
  log(`downlink    ${d(r.hops.downlinkMs)}`);
  log(`round trip  ${d(r.hops.roundTripMs)}`);
  log(`turn        ${d(r.hops.turnMs)}`);
  log(`barge-in    ${d(r.hops.bargeInMs)}`);
  const gatewayBargeIn = parseDistribution(r.extra?.['gatewayBargeInMs']);
  if (gatewayBargeIn !== undefined) log(`  (gateway)  ${d(gatewayBargeIn)}  onset packet in → last agent packet out`);
  log(`jitter      ${d(r.quality.jitterMs)}`);
  log(`packets     ${r.quality.packetsSent} sent, ${r.quality.packetsReceived} received, loss ${r.quality.lossPct} %`);
  log(`gateway     ${r.gateway.cpuMsPerCallSecond.toFixed(3)} ms CPU per call-second, ${r.gateway.rssMiBPerCall.toFixed(3)} MiB per call, RSS ${r.gateway.rssMiB.toFixed(1)} MiB`);
  if (r.floor !== undefined) {
    log(`floor       ${r.floor.cpuMsPerCallSecond.toFixed(3)} ms CPU per call-second, ${r.floor.rssMiBPerCall.toFixed(3)} MiB per call; uplink ${d(r.floor.uplinkMs)}; downlink ${d(r.floor.downlinkMs)}`);
  }
  const { inbound, outbound, again } = directionRuns(r.directions);
  if (outbound !== undefined) {
    log(`outbound    setup (INVITE in → 200 sent) ${d(outbound.setupMs)}`);
    if (outbound.inviteToAckMs !== undefined) log(`            INVITE in → ACK in        ${d(outbound.inviteToAckMs)}`);
    if (outbound.apiToInviteMs !== undefined) log(`            POST /v1/calls → INVITE in ${d(outbound.apiToInviteMs)}`);
  }
  if (inbound !== undefined && outbound !== undefined) {
    for (const row of compareDirections(inbound, outbound, again)) {
      const verdict = row.match === undefined ? '    ' : row.match ? 'SAME' : 'DIFF';
      log(`${verdict}  ${row.figure.padEnd(50)} in ${row.inbound.padStart(14)}   out ${row.outbound.padStart(14)}` +
        (again === undefined ? '' : `   in again ${row.inboundAgain.padStart(14)}`));
    }
  }
  for (const step of r.rampCapacity?.flatMap((c) => c.steps) ?? r.ramp ?? []) {
    const v = step.verdict;
    const verdict = v === undefined ? '' : v.kind === 'held' ? 'held' : v.kind === 'failed' ? `failed: ${v.failed.join('; ')}` : `not measurable: ${v.causes.join('; ')}`;
    log(`ramp        ${step.codec ?? ''} ${step.concurrency} calls: ${step.cpuMsPerCallSecond.toFixed(3)} ms/call-s${verdict === '' ? '' : `, ${verdict}`}`);
  }
  for (const c of r.rampCapacity ?? []) log(`capacity    ${c.codec}: held ${c.maxHeld} calls; limit: ${c.limit}`);
  const lg = r.extra?.['loadGenerator'];
  if (lg !== undefined) log(`load gen    ${JSON.stringify(lg)} (its own CPU share and event-loop delay: high values mean the 2 cores are shared thin)`);
  for (const t of r.targets) log(`${t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(22)} ${t.target.padEnd(24)} ${t.measured}`);
  for (const n of r.notes ?? []) log(`note: ${n}`);
}
