/** `npm run bench` flags → typed options (pure). */
import { resolve } from 'node:path';
import { BENCH_CODECS } from './load/codec-profile.js';
import { BENCH_SRTP_CHOICES, type BenchSrtpChoice } from './load/srtp-offer.js';
import { RECORDS_CHOICES, type RecordsChoice } from './records-run.js';
import type { BenchOptions } from './report/types.js';

export interface CliOptions extends BenchOptions {
  readonly outDir: string;
  readonly name: string;
  /** Ramp: calls added per step and seconds each step is held. */
  readonly stepCalls: number;
  readonly stepS: number;
  /** Run the floor relay with the same load (default on). */
  readonly floor: boolean;
  /** Run the micro-benchmarks before the load (default on). */
  readonly micro: boolean;
  /** `--runtimes 20,22,24`: the same fixed run with the gateway on each of these Node lines (scripts/node-versions.txt). */
  readonly runtimes?: readonly number[];
  /** Who places the calls: the load generator (inbound), the gateway by `POST /v1/calls` (outbound), or both in turn. */
  readonly direction: BenchDirection;
  /** `--records on|off|both`: call records + webhooks on (store + a webhook sink) or off (`database.enabled: false`). */
  readonly records?: RecordsChoice;
  /** `--srtp off|aes-cm|gcm|all`: plain RTP, RTP/SAVP with one suite, or off, AES-CM and GCM back to back. */
  readonly srtp?: BenchSrtpChoice;
  /** `--repeat N` with `--srtp`: N rounds, alternating the order of the modes each round (default 1). */
  readonly repeat: number;
}

export const BENCH_DIRECTIONS = ['inbound', 'outbound', 'both'] as const;
export type BenchDirection = (typeof BENCH_DIRECTIONS)[number];

export const USAGE = `npm run bench -- [--calls N] [--rate R] [--duration S] [--codec PCMU|PCMA|G722|opus] [--agent websocket|in-process] [--workers N|auto]
                   [--direction inbound|outbound|both] [--ramp [--step-calls 25] [--step-s 10]] [--no-floor] [--no-micro]
                   [--out DIR] [--name NAME] [--runtimes 20,22,24] [--records on|off|both] [--srtp off|aes-cm|gcm|all [--repeat N]]
--direction outbound: the gateway places the calls (POST /v1/calls) to the load generator acting as the carrier;
both: inbound, outbound, inbound again, each on a fresh gateway with the same config, and a comparison table.
--runtimes: the gateway on each Node line in turn (installed from the registry, cached outside the repo), the floor
relay once, one table in <date>-runtimes.md/.json.
--records on: call records and webhooks on (SQLite store in a temp folder, one webhook endpoint on a local sink that
answers 204, every call event type); off: database.enabled: false; both: off, on, off, on, each on a fresh gateway,
and a table of CPU per call-second (hold window and whole life) against the goal (on within 5 % of off).
--srtp aes-cm|gcm: the load generator offers RTP/SAVP with AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM alone (a
fresh SDES key per call) and protects its RTP; off: plain RTP/AVP; all: off, aes-cm, gcm, each on a fresh gateway
with records off, and a table of CPU per call-second against plain (goal: at most 1.2×); --repeat N: N rounds, each
round in the reverse order of the one before (off, aes-cm, gcm, gcm, aes-cm, off, ...), and each mode's mean.
PATCHBAY_BENCH_GATEWAY_NODE_OPTIONS: Node flags for the gateway process alone (e.g. --cpu-prof --cpu-prof-dir=DIR).
PATCHBAY_BENCH_FLOOR_NODE_OPTIONS: Node flags for the floor relay process alone (same use).
Results go to DIR (default bench/results) as <date>-<NAME>.json/.md/-latency.svg and LATEST.md.`;

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'BENCH_CLI_INVALID';
}

/** `cwd`: where a relative `--out` is taken from (the directory npm was run in, not the workspace's). */
export function parseCli(argv: readonly string[], defaultOutDir: string, cwd = '.'): CliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new CliError(`unexpected argument '${arg}'\n${USAGE}`);
    const [key = '', inline] = arg.slice(2).split('=', 2);
    if (key === 'ramp' || key === 'no-floor' || key === 'no-micro' || key === 'help') {
      flags.add(key);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CliError(`--${key} needs a value\n${USAGE}`);
    values.set(key, value);
  }
  if (flags.has('help')) throw new CliError(USAGE);
  const known = new Set(['calls', 'rate', 'duration', 'codec', 'agent', 'workers', 'out', 'name', 'step-calls', 'step-s', 'runtimes', 'direction', 'records', 'srtp', 'repeat']);
  for (const key of values.keys()) if (!known.has(key)) throw new CliError(`unknown flag --${key}\n${USAGE}`);
  const num = (key: string, fallback: number, min: number): number => {
    const text = values.get(key);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new CliError(`--${key} must be a number ≥ ${min}, got '${text}'`);
    return n;
  };
  const codecText = values.get('codec') ?? 'PCMU';
  // Names are case-insensitive, as in SDP; the canonical spelling is the gateway's config's.
  const codec = BENCH_CODECS.find((c) => c.toLowerCase() === codecText.toLowerCase());
  if (codec === undefined) throw new CliError(`--codec must be ${BENCH_CODECS.join(', ')}, got '${codecText}'`);
  const agent = values.get('agent') ?? 'websocket';
  if (agent !== 'websocket' && agent !== 'in-process') throw new CliError(`--agent must be websocket or in-process, got '${agent}'`);
  const workersText = values.get('workers') ?? '0';
  const workers = workersText === 'auto' ? 'auto' : Number(workersText);
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) {
    throw new CliError(`--workers must be auto or an integer 0–64 (media worker threads), got '${workersText}'`);
  }
  const ramp = flags.has('ramp');
  const runtimesText = values.get('runtimes');
  let runtimes: number[] | undefined;
  if (runtimesText !== undefined) {
    runtimes = runtimesText.split(',').map((part) => Number(part.trim()));
    if (runtimes.some((m) => !Number.isInteger(m) || m < 18) || new Set(runtimes).size !== runtimes.length) {
      throw new CliError(`--runtimes must list distinct Node major versions, e.g. 20,22,24, got '${runtimesText}'`);
    }
    if (ramp) throw new CliError('--runtimes compares fixed runs: it does not combine with --ramp');
  }
  const directionText = values.get('direction') ?? 'inbound';
  const direction = BENCH_DIRECTIONS.find((d) => d === directionText);
  if (direction === undefined) throw new CliError(`--direction must be ${BENCH_DIRECTIONS.join(', ')}, got '${directionText}'`);
  if (ramp && direction !== 'inbound') throw new CliError('--ramp runs inbound calls only: drop --direction or --ramp');
  if (runtimes !== undefined && direction !== 'inbound') throw new CliError('--runtimes compares inbound runs: drop --direction or --runtimes');
  const recordsText = values.get('records');
  const records = recordsText === undefined ? undefined : RECORDS_CHOICES.find((r) => r === recordsText);
  if (recordsText !== undefined && records === undefined) throw new CliError(`--records must be ${RECORDS_CHOICES.join(', ')}, got '${recordsText}'`);
  if (records !== undefined && (ramp || runtimes !== undefined || direction !== 'inbound')) {
    throw new CliError('--records compares fixed inbound runs: it does not combine with --ramp, --runtimes or --direction');
  }
  const srtpText = values.get('srtp');
  const srtp = srtpText === undefined ? undefined : BENCH_SRTP_CHOICES.find((c) => c === srtpText);
  if (srtpText !== undefined && srtp === undefined) throw new CliError(`--srtp must be ${BENCH_SRTP_CHOICES.join(', ')}, got '${srtpText}'`);
  if (srtp !== undefined && (ramp || runtimes !== undefined || direction !== 'inbound' || (records !== undefined && records !== 'off'))) {
    throw new CliError('--srtp compares fixed inbound runs with records off: it does not combine with --ramp, --runtimes, --direction or --records on|both');
  }
  const repeatText = values.get('repeat');
  const repeat = repeatText === undefined ? 1 : Number(repeatText);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new CliError(`--repeat must be an integer 1–20, got '${repeatText}'`);
  if (repeatText !== undefined && srtp === undefined) throw new CliError('--repeat repeats an --srtp comparison: add --srtp');
  return {
    calls: Math.round(num('calls', ramp ? 500 : 100, 1)),
    rate: num('rate', 20, 0.1),
    durationS: num('duration', 20, 1),
    codec,
    agent,
    workers,
    mode: ramp ? 'ramp' : 'fixed',
    outDir: resolve(cwd, values.get('out') ?? defaultOutDir),
    name: values.get('name') ?? (srtp !== undefined ? `srtp-${srtp}` : runtimes !== undefined ? 'runtimes' : records !== undefined ? `records-${records}` : ramp ? 'ramp' : direction === 'inbound' ? 'load' : `load-${direction}`),
    stepCalls: Math.round(num('step-calls', 25, 1)),
    stepS: num('step-s', 10, 2),
    floor: !flags.has('no-floor'),
    micro: !flags.has('no-micro'),
    ...(runtimes === undefined ? {} : { runtimes }),
    direction,
    ...(records === undefined ? {} : { records }),
    ...(srtp === undefined ? {} : { srtp }),
    repeat,
  };
}
