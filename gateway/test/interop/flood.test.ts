/**
 * The flood test: SIPp sends 5,000 INVITEs a second from one source (127.0.0.2) for 30 s while 50 calls
 * from a carrier (127.0.0.1, in a trunk's allow-list) run with audio to the `echo` agent. The gateway runs as its
 * own process (as in production, media workers included) so its CPU time is its own: /proc/<pid>/stat over the
 * flood window. Asserted: every carrier call is answered, hears its echo throughout and ends with 200; the flooder
 * is banned and its INVITEs dropped before parsing (counted); the gateway uses less than one core. The flooder
 * (SIPp) and the 50 callers (this process) share the machine's cores with it: the figures are printed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { audioFlow, placeCalls, type LiveCall } from '../helpers/live-calls.js';
import { describeRun, runSipp } from '../helpers/sipp.js';
import { sine } from '../helpers/tones.js';
import { waitFor } from '../helpers/wait-for.js';

const NUMBER = '+15550100001';
const FLOOD_RATE = 5_000;
const FLOOD_S = 30;
const CALLS = 50;
const STAGGER_MS = 200;
const HOLD_MS = 6_000;
/** No echo for this long inside a call's window is a failed call, whatever the count. */
const MAX_GAP_MS = 500;

interface EdgeView {
  dropped: { rate: number; banned: number; 'unknown-source': number; scanner: number };
  bansTotal: number;
  bansActive: number;
}

/** The kernel's count of UDP datagrams dropped for a full receive buffer (all sockets of the machine). */
function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp: '));
  const names = lines[0]?.split(' ') ?? [];
  const values = lines[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('RcvbufErrors')]);
}

/** User + system CPU time of `pid` (all its threads), seconds. */
function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime (14th) + stime (15th)
}

describe('flood: 5,000 INVITEs/s from one source while a carrier places 50 calls', () => {
  let gw: GatewayProcess | undefined;

  afterAll(async () => {
    await gw?.close();
  });

  it('every carrier call completes with audio, the flooder is banned, the gateway stays under one core', async () => {
    const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    gw = await startGatewayProcess({
      sip: { edge: { exempt: [] } },
      trunks: [{ name: 'carrier', allow: ['127.0.0.1'] }],
      numbers: { [NUMBER]: { agent: 'echo' } },
      log: { level: 'warn' },
    });
    const pid = gw.pid;
    if (pid === undefined) throw new Error('no gateway pid');
    const base = `http://127.0.0.1:${gw.httpPort}`;
    const edge = async (): Promise<EdgeView> => ((await (await fetch(`${base}/stats`)).json()) as { edge: EdgeView }).edge;

    const kernelDropsStart = udpRcvbufErrors();
    const cpuStart = cpuSeconds(pid, ticksPerSecond);
    const wallStart = performance.now();
    const flood = runSipp({
      scenario: 'uac-flood.xml',
      transport: 'udp',
      localIp: '127.0.0.2',
      service: NUMBER,
      host: '127.0.0.1',
      port: gw.sipPort,
      calls: FLOOD_RATE * FLOOD_S,
      rate: FLOOD_RATE,
      timeoutMs: (FLOOD_S + 15) * 1_000,
      traceMessages: false,
    });
    // The flooder is banned within its first burst.
    await waitFor(async () => (await edge()).bansActive === 1, 5_000);

    let calls: LiveCall[];
    try {
      calls = await placeCalls({ host: '127.0.0.1', port: gw.sipPort, to: NUMBER, count: CALLS, staggerMs: STAGGER_MS, audio: sine(8_000, 700, -16, HOLD_MS) });
    } catch (err) {
      await flood; // the flooder ends with its run, not after the test
      throw err;
    }
    await Promise.all(calls.map((c) => c.sending));
    const flows = calls.map((c) => ({ call: c, flow: audioFlow(c.caller, c.caller.answeredMs + 500, c.caller.answeredMs + HOLD_MS - 200) }));
    const byes = await Promise.all(calls.map((c) => c.caller.bye(5_000)));
    for (const c of calls) c.caller.close();

    const result = await flood;
    const cpuEnd = cpuSeconds(pid, ticksPerSecond);
    const kernelDrops = udpRcvbufErrors() - kernelDropsStart;
    const wallS = (performance.now() - wallStart) / 1000;
    const cores = (cpuEnd - cpuStart) / wallS;
    const sent = Number(result.stats['TotalCallCreated'] ?? Number.NaN);
    const figures = await edge();
    const floodS = result.wallMs / 1000;
    console.info(
      `[flood] SIPp sent ${sent} INVITEs in ${floodS.toFixed(1)} s (${(sent / floodS).toFixed(0)}/s) from 127.0.0.2; ` +
        `gateway CPU ${(cpuEnd - cpuStart).toFixed(2)} s over ${wallS.toFixed(1)} s = ${cores.toFixed(2)} cores; ` +
        `edge dropped ${JSON.stringify(figures.dropped)}, bans ${figures.bansTotal}; ` +
        `UDP datagrams the kernel dropped for full receive buffers (whole machine) ${kernelDrops}; ` +
        `carrier calls: ${calls.length} answered, setup ms max ${Math.max(...calls.map((c) => c.setupMs)).toFixed(0)}, ` +
        `echo packets min ${Math.min(...flows.map((f) => f.flow.packets))} of ${(HOLD_MS - 700) / 20}, longest gap ${Math.max(...flows.map((f) => f.flow.maxGapMs)).toFixed(0)} ms`,
    );

    // The flood happened at the scale (SIPp's own pacing on a shared machine: within 10 %).
    expect(sent, describeRun(result)).toBe(FLOOD_RATE * FLOOD_S);
    expect(sent / floodS).toBeGreaterThan(FLOOD_RATE * 0.9);
    // Every carrier call: answered, its echo heard throughout, ended by us with 200.
    expect(calls).toHaveLength(CALLS);
    expect(byes.every((s) => s === 200)).toBe(true);
    for (const { call, flow } of flows) {
      expect(flow.packets, `${call.from} received`).toBeGreaterThan(((HOLD_MS - 700) / 20) * 0.8);
      expect(flow.maxGapMs, `${call.from} longest gap`).toBeLessThan(MAX_GAP_MS);
      expect(flow.echoed, `${call.from} echoed share`).toBeGreaterThan(0.9);
    }
    // The flooder: banned once (60 s outlasts the flood), everything past its burst dropped before parsing.
    expect(figures.bansTotal).toBe(1);
    expect(figures.dropped.rate).toBe(1);
    // What the kernel dropped (the gateway's receive buffer, full during SIPp's bursts) never reached the edge.
    expect(figures.dropped.banned).toBeGreaterThan(sent * 0.8);
    expect(figures.dropped.banned + figures.dropped.rate).toBeLessThanOrEqual(sent);
    // The gateway process (all threads) under one core over the flood.
    expect(cores).toBeLessThan(1);
  }, 90_000);
});
