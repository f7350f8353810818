/**
 * A realistic bench result for the report tests: 200 PCMU calls through the WebSocket echo agent, a ramp, a floor,
 * two hops that were not measured (turn, barge-in), one failing target, and a name with markup in it.
 */
import type { BenchResult, Distribution } from '../src/report/types.js';

export function dist(p50: number, p95: number, p99: number, max: number, count: number): Distribution {
  return { count, p50, p95, p99, max, mean: (p50 + p95) / 2 };
}

export const NOT_MEASURED: Distribution = { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };

export function fixture(): BenchResult {
  return {
    name: 'ws-echo <200> & co',
    startedAt: '2025-11-21T10:14:07.512Z',
    durationS: 120,
    machine: { cpuModel: 'AMD EPYC 7763 64-Core Processor', cores: 8, memGiB: 31.3, node: 'v20.19.2', os: 'linux 6.1.0 x64' },
    options: { calls: 200, rate: 20, durationS: 120, codec: 'PCMU', agent: 'websocket', mode: 'ramp' },
    hops: {
      setupMs: dist(3.42, 7.9, 14.6, 41.2, 200),
      uplinkMs: dist(0.0412, 0.0931, 0.187, 2.31, 1_193_412),
      downlinkMs: dist(0.0376, 0.0854, 0.162, 1.94, 1_188_007),
      roundTripMs: dist(41.8, 47.3, 55.1, 88.6, 23_840),
      turnMs: NOT_MEASURED,
      bargeInMs: NOT_MEASURED,
    },
    quality: {
      packetsSent: 1_200_000,
      packetsReceived: 1_199_412,
      lossPct: 0.049,
      jitterMs: dist(0.21, 0.74, 1.38, 6.05, 1_199_412),
    },
    gateway: { cpuMsPerCallSecond: 2.84, rssMiBPerCall: 0.41, rssMiB: 212 },
    floor: {
      cpuMsPerCallSecond: 1.12,
      rssMiBPerCall: 0.09,
      rssMiB: 78,
      uplinkMs: dist(0.0183, 0.0402, 0.0771, 0.96, 1_195_002),
      downlinkMs: dist(0.0171, 0.0388, 0.0713, 0.88, 1_194_870),
    },
    micro: { 'PCMU decode 20 ms': 1.82, 'resample 8k→24k': 6.41, 'VAD frame': 3.05, 'parseRtp | serialize': 0.214 },
    ramp: [
      { concurrency: 25, lossPct: 0, uplinkP99Ms: 0.121, cpuMsPerCallSecond: 2.71 },
      { concurrency: 50, lossPct: 0, uplinkP99Ms: 0.139, cpuMsPerCallSecond: 2.75 },
      { concurrency: 100, lossPct: 0.01, uplinkP99Ms: 0.171, cpuMsPerCallSecond: 2.8 },
      { concurrency: 200, lossPct: 0.05, uplinkP99Ms: 0.262, cpuMsPerCallSecond: 2.91 },
      { concurrency: 400, lossPct: 1.7, uplinkP99Ms: 3.94, cpuMsPerCallSecond: 3.62 },
    ],
    targets: [
      { name: 'uplink p99', target: '< 1 ms', measured: '0.187 ms', pass: true },
      { name: 'loss at 200 calls', target: '< 0.1 %', measured: '0.049 %', pass: true },
      { name: 'CPU vs floor', target: '≤ 2× floor', measured: '2.5× floor', pass: false },
    ],
  };
}
