/** `npm run bench` flags → typed options (pure). */
import { resolve } from 'node:path';
import { BENCH_CODECS, type CodecName } from './load/codec-profile.js';
import { BENCH_SRTP_CHOICES, type BenchSrtpChoice } from './load/srtp-offer.js';
import { RECORDS_CHOICES, type RecordsChoice } from './records-run.js';
import type { BenchOptions } from './report/types.js';
import { BARGE_IN_CHOICES, comparesVariants, type BargeInChoice, type Workers } from './variants-run.js';

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
  /** `--ramp --codec all` or `--ramp --codecs A,B`: one ramp per codec, each on a fresh gateway (`codec` is the first). */
  readonly rampCodecs?: CodecName[];
  /** `--barge-in default|off|both`: the echo number's barge-in (default: none set, as on a real number). */
  readonly bargeIn: BargeInChoice;
  /** `--workers 1,2`: every worker count to run (one element: `workers`). */
  readonly workerCounts: readonly Workers[];
  /** `--pin`: the gateway on CPU 0, the load generator and the agents on CPU 1 (taskset). */
  readonly pin: boolean;
}

export const BENCH_DIRECTIONS = ['inbound', 'outbound', 'both'] as const;
export type BenchDirection = (typeof BENCH_DIRECTIONS)[number];

export const USAGE = `npm run bench -- [--calls N] [--rate R] [--duration S] [--codec PCMU|PCMA|G722|opus] [--agent websocket|in-process] [--workers N|auto|N,M]
                   [--direction inbound|outbound|both] [--ramp [--step-calls 25] [--step-s 10] [--codec all|--codecs A,B]] [--no-floor] [--no-micro]
                   [--out DIR] [--name NAME] [--runtimes 20,22,24] [--records on|off|both] [--srtp off|aes-cm|gcm|all [--repeat N]]
                   [--barge-in default|off|both] [--pin]
--barge-in default (the default): the echo number as a real number is configured, bargeIn unset (the speech detector
on every caller frame; callers talk with pauses, each utterance interrupts the echo); off: bargeIn: off on the echo
number; both: default then off, each on a fresh gateway, and a table of CPU per call-second for each.
--workers 1,2: one run per worker count (with --barge-in both: each mode per count), each on a fresh gateway, one table.
--pin: the gateway (and the floor relay) on CPU 0, the load generator, agents and webhook sink on CPU 1 (taskset).
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
--ramp: steps of --step-calls calls, each judged over its own --step-s window on the caller's experience (docs/bench-ramp.md);
--codec all / --codecs PCMU,opus: one ramp per codec on a fresh gateway and one capacity table.
PATCHBAY_BENCH_GATEWAY_NODE_OPTIONS: Node flags for the gateway process alone (e.g. --cpu-prof --cpu-prof-dir=DIR).
PATCHBAY_BENCH_GATEWAY_ROOT: run the gateway of another checkout (with its own npm ci) under this bench: a before/after.
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
    if (key === 'ramp' || key === 'no-floor' || key === 'no-micro' || key === 'help' || key === 'pin') {
      flags.add(key);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CliError(`--${key} needs a value\n${USAGE}`);
    values.set(key, value);
  }
  if (flags.has('help')) throw new CliError(USAGE);
  const known = new Set(['codecs', 'calls', 'rate', 'duration', 'codec', 'agent', 'workers', 'out', 'name', 'step-calls', 'step-s', 'runtimes', 'direction', 'records', 'srtp', 'repeat', 'barge-in']);
  for (const key of values.keys()) if (!known.has(key)) throw new CliError(`unknown flag --${key}\n${USAGE}`);
  const num = (key: string, fallback: number, min: number): number => {
    const text = values.get(key);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new CliError(`--${key} must be a number ≥ ${min}, got '${text}'`);
    return n;
  };
  const ramp = flags.has('ramp');
  const rampCodecs = parseRampCodecs(values.get('codec'), values.get('codecs'), ramp);
  const codecText = rampCodecs?.[0] ?? values.get('codec') ?? 'PCMU';
  const codec = codecNamed(codecText, '--codec');
  const agent = values.get('agent') ?? 'websocket';
  if (agent !== 'websocket' && agent !== 'in-process') throw new CliError(`--agent must be websocket or in-process, got '${agent}'`);
  const workersText = values.get('workers') ?? '0';
  const workerCounts = workersText.split(',').map((part): Workers => {
    const text = part.trim();
    const w = text === 'auto' ? 'auto' : text === '' ? Number.NaN : Number(text);
    if (w !== 'auto' && !(Number.isInteger(w) && w >= 0 && w <= 64)) {
      throw new CliError(`--workers must be auto or an integer 0–64 (media worker threads), or a list of them (1,2), got '${workersText}'`);
    }
    return w;
  });
  if (new Set(workerCounts).size !== workerCounts.length) throw new CliError(`--workers lists a count twice: '${workersText}'`);
  const workers = workerCounts[0] ?? 0;
  const bargeInText = values.get('barge-in') ?? 'default';
  const bargeIn = BARGE_IN_CHOICES.find((c) => c === bargeInText);
  if (bargeIn === undefined) throw new CliError(`--barge-in must be ${BARGE_IN_CHOICES.join(', ')}, got '${bargeInText}'`);
  const pin = flags.has('pin');
  if (ramp && agent === 'in-process') throw new CliError('--ramp counts what the agents process sent (downlink delivered): it needs --agent websocket');
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
  const variants = comparesVariants(bargeIn, workerCounts);
  if (variants && (ramp || runtimes !== undefined || direction !== 'inbound' || records !== undefined || srtp !== undefined)) {
    throw new CliError('--barge-in both and --workers N,M compare fixed inbound runs: they do not combine with --ramp, --runtimes, --direction, --records or --srtp');
  }
  if (runtimes !== undefined && (pin || bargeIn !== 'default')) throw new CliError('--runtimes runs the default configuration unpinned: drop --pin and --barge-in');
  return {
    calls: Math.round(num('calls', ramp ? 500 : 100, 1)),
    rate: num('rate', 20, 0.1),
    durationS: num('duration', 20, 1),
    codec,
    agent,
    workers,
    mode: ramp ? 'ramp' : 'fixed',
    outDir: resolve(cwd, values.get('out') ?? defaultOutDir),
    name: values.get('name') ?? (variants ? variantsName(bargeIn, workerCounts) : srtp !== undefined ? `srtp-${srtp}` : runtimes !== undefined ? 'runtimes' : records !== undefined ? `records-${records}` : ramp ? 'ramp' : direction === 'inbound' ? 'load' : `load-${direction}`),
    stepCalls: Math.round(num('step-calls', 25, 1)),
    stepS: num('step-s', 10, 2),
    floor: !flags.has('no-floor'),
    micro: !flags.has('no-micro'),
    ...(runtimes === undefined ? {} : { runtimes }),
    direction,
    ...(records === undefined ? {} : { records }),
    ...(srtp === undefined ? {} : { srtp }),
    repeat,
    ...(rampCodecs === undefined ? {} : { rampCodecs }),
    bargeIn,
    workerCounts,
    pin,
  };
}

/** A codec by name, case-insensitive as in SDP; the canonical spelling is the gateway's config's. */
function codecNamed(text: string, flag: string): CodecName {
  const codec = BENCH_CODECS.find((c) => c.toLowerCase() === text.toLowerCase());
  if (codec === undefined) throw new CliError(`${flag} must be ${BENCH_CODECS.join(', ')}, got '${text}'`);
  return codec;
}

/** `--codec all` / `--codecs A,B` (ramp only): the codecs to ramp, distinct, in the order given; undefined for one. */
function parseRampCodecs(codec: string | undefined, codecs: string | undefined, ramp: boolean): CodecName[] | undefined {
  const all = codec?.toLowerCase() === 'all';
  if (!all && codecs === undefined) return undefined;
  if (!ramp) throw new CliError('--codec all and --codecs ramp each codec in turn: add --ramp');
  if (all && codecs !== undefined) throw new CliError('--codec all and --codecs: give one of them');
  if (codecs !== undefined && codec !== undefined) throw new CliError('--codec and --codecs: give one of them');
  const list = all ? [...BENCH_CODECS] : (codecs ?? '').split(',').map((c) => codecNamed(c.trim(), '--codecs'));
  if (new Set(list).size !== list.length) throw new CliError(`--codecs must list distinct codecs, got '${codecs ?? ''}'`);
  return list;
}

/** The default name of a comparison run: `barge-in`, `workers-1-2`, or both joined. */
function variantsName(bargeIn: BargeInChoice, workerCounts: readonly Workers[]): string {
  const parts = [...(bargeIn === 'both' ? ['barge-in'] : []), ...(workerCounts.length > 1 ? [`workers-${workerCounts.join('-')}`] : [])];
  return parts.join('-');
}
