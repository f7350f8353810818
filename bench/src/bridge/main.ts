/**
 * Bench of bridged calls (docs/forwarding.md): callers dial a number whose `forward:` reaches a person at the
 * carrier, who answers at once and sends back everything it hears (reflector.ts). So each call is two legs through
 * the gateway, joined in its media plane, and the caller's round trip crosses the bridge twice. The same gateway,
 * in the same run and just before, carries the same load to the built-in echo (one leg, no bridge): the reference.
 *
 * Reports, per phase: the gateway's CPU per call-second (per bridge-second: both legs), the callers' round trip and
 * jitter, echo markers back, loss; and the one-way delay a bridge adds: (round trip through the bridge − the
 * reference's) / 2 ... plus the echo's own playout, which is reported beside it.
 *
 *   npx tsx bench/src/bridge/main.ts [--calls 50] [--rate 10] [--duration 20] [--codec PCMU] [--name bridge-50]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CALL_MIX } from '../direction-run.js';
import { ECHO_NUMBER, FORWARD_NUMBER, startGateway, TURN_NUMBER, BARGE_IN_NUMBER } from '../gateway-process.js';
import type { CodecName } from '../load/codec-profile.js';
import { LoadGenerator, type LoadTarget } from '../load/load-generator.js';
import { SipUas } from '../load/sip-uas.js';
import type { Distribution } from '../report/types.js';
import { runPhase, type PhaseResult } from '../run-phase.js';
import { Reflector } from './reflector.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '../../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const calls = Number(arg('calls', '50'));
const rate = Number(arg('rate', '10'));
const durationS = Number(arg('duration', '20'));
const codec = arg('codec', 'PCMU') as CodecName;
const name = arg('name', `bridge-${calls}`);
const log = (line: string): void => void process.stdout.write(`${line}\n`);

function target(sipPort: number, number: string): LoadTarget {
  // Every call an echo call (markers in the pauses): no turn or barge-in calls.
  return { host: '127.0.0.1', sipPort, echoNumber: number, turnNumber: TURN_NUMBER, bargeInNumber: BARGE_IN_NUMBER, ...CALL_MIX, turnEvery: 0, bargeInEvery: 0, codec };
}

const f = (v: number, d = 1): string => v.toFixed(d);
const dist = (d: Distribution): string => `p50 ${f(d.p50)}, p95 ${f(d.p95)}, p99 ${f(d.p99)} ms (n=${d.count})`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'patchbay-bench-bridge-'));
  const uas = await SipUas.open();
  const reflector = new Reflector();
  uas.attach(reflector);
  const gateway = await startGateway({
    repoRoot: process.env['PATCHBAY_BENCH_GATEWAY_ROOT'] ?? REPO,
    workDir: work,
    echoAgent: 'echo',
    echoBargeIn: 'off', // a bridge has no speech detector either
    turnAgentUrl: 'ws://127.0.0.1:9/unused',
    talkerAgentUrl: 'ws://127.0.0.1:9/unused',
    maxCalls: 2 * calls,
    workers: 0,
    codec,
    outbound: { carrierPort: uas.port, calls, rate },
  });
  try {
    const pid = gateway.child.pid ?? 0;
    log(`bridge bench '${name}': ${calls} calls at ${rate}/s held ${durationS} s, ${codec}; gateway pid ${pid}`);
    log('reference: the same load to the built-in echo (one leg per call)');
    const echo = await runPhase(() => LoadGenerator.create(target(gateway.sipPort, ECHO_NUMBER)), pid, { calls, rate, durationS }, log);
    log('bridged: each call forwarded to the reflecting person (two legs per call, joined in the media plane)');
    const bridge = await runPhase(() => LoadGenerator.create(target(gateway.sipPort, FORWARD_NUMBER)), pid, { calls, rate, durationS }, log);
    const report = render(echo, bridge, reflector);
    log(report);
    const out = join(REPO, 'bench/results', `${new Date().toISOString().slice(0, 10)}-${name}.md`);
    writeFileSync(out, report);
    log(`wrote ${out}`);
  } finally {
    reflector.closeAll();
    uas.close();
    await gateway.child.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function render(echo: PhaseResult, bridge: PhaseResult, reflector: Reflector): string {
  const addedP50 = (bridge.roundTripMs.p50 - echo.roundTripMs.p50) / 2;
  const addedP95 = (bridge.roundTripMs.p95 - echo.roundTripMs.p95) / 2;
  const row = (label: string, p: PhaseResult, legs: number): string =>
    `| ${label} | ${p.callsUp} | ${f(p.cpuMsPerCallSecond, 3)} | ${f(p.cpuMsPerCallSecond / legs, 3)} | ${dist(p.roundTripMs)} | ${f(p.jitterMs.p99)} ms | ${p.markers.back} / ${p.markers.due} | ${f(p.lossPct, 3)} % |`;
  return [
    `# Bench: ${name} (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `${calls} calls at ${rate}/s held ${durationS} s, ${codec} on both legs, one media thread. Command: \`npx tsx bench/src/bridge/main.ts --calls ${calls} --rate ${rate} --duration ${durationS} --codec ${codec} --name ${name}\``,
    '',
    '| Phase | Calls up | Gateway CPU ms per call-s | per leg-s | Caller round trip | Caller jitter p99 | Markers back | Loss |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    row('reference: built-in echo (1 leg)', echo, 1),
    row('bridged to a reflecting person (2 legs)', bridge, 2),
    '',
    `One way through the bridge beyond the echo path: p50 ${f(addedP50)} ms, p95 ${f(addedP95)} ms ((bridged round trip − reference round trip) / 2; the reference's own path is the caller's uplink, the agent and its playout). Packets reflected by the person: ${reflector.reflected}.`,
    '',
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bridge bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
