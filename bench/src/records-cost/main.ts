/**
 * Records-cost bench: the CPU one call's record and webhooks cost, measured in one process without SIP or media
 * (the whole-gateway bench's run-to-run noise on a shared machine hides a 5 % difference; this one does not).
 * Run from the repo root: `npm run bench:records-cost [-- --calls 400 --reps 5 --rate 20 --call-s 23.6 --off-ms 6.7 --split]`.
 *
 * `--split` adds a third run per repetition: records stored, no webhook endpoint.
 *
 * Each repetition runs `off` (records built, nothing stored: `database.enabled: false`) then `on` (records stored in
 * SQLite on its worker thread, ringing/answered/ended webhooks to the bench's sink in its own process), after one
 * discarded warm-up pair. Per call: (on − off) CPU / calls. Per call-second: that over `--call-s` (the 100-call
 * bench's call length) and over 180 s, against `--off-ms` (the 100-call bench's off figure, ms CPU per call-second).
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTsx } from '../proc/child.js';
import { drive, type DriveResult } from './drive.js';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i < 0 ? undefined : Number(args[i + 1]);
  return v === undefined || !Number.isFinite(v) ? fallback : v;
};
const CALLS = flag('calls', 400);
const REPS = flag('reps', 5);
const RATE = flag('rate', 20);
const CALL_S = flag('call-s', 23.6);
const OFF_MS = flag('off-ms', 6.7);
/** `--split`: also a run with records stored and no webhook endpoint (records' share vs webhooks'). */
const split = args.includes('--split');

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const f = (x: number, d = 2): string => x.toFixed(d);

async function main(): Promise<void> {
  const sink = await startTsx(join(HERE, 'webhook-sink/serve.ts'), [], {});
  try {
    const { url } = JSON.parse(sink.firstLine) as { url: string };
    const opts = { calls: CALLS, rate: RATE, sinkUrl: url };
    console.log(`records-cost: ${CALLS} calls at ${RATE}/s, ${REPS} repetitions (+1 warm-up), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await drive('off', { ...opts, calls: Math.min(CALLS, 500) });
    await drive('on', { ...opts, calls: Math.min(CALLS, 500) });
    const rows: { off: DriveResult; on: DriveResult }[] = [];
    const storedPer: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const off = await drive('off', opts);
      const on = await drive('on', opts);
      const stored = split ? await drive('records', opts) : undefined;
      if (stored !== undefined) storedPer.push(stored.cpuMs / CALLS);
      rows.push({ off, on });
      console.log(`  rep ${r + 1}: off ${f(off.cpuMs / CALLS, 3)} ms/call, on ${f(on.cpuMs / CALLS, 3)} ms/call (delivered ${on.delivered}), on − off ${f((on.cpuMs - off.cpuMs) / CALLS, 3)} ms/call`);
    }
    const offPer = rows.map((x) => x.off.cpuMs / CALLS);
    const onPer = rows.map((x) => x.on.cpuMs / CALLS);
    const diff = rows.map((x) => (x.on.cpuMs - x.off.cpuMs) / CALLS);
    const d = median(diff);
    console.log('');
    console.log('| ms CPU per call | median | min | max |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(`| off (records built, not stored) | ${f(median(offPer), 3)} | ${f(Math.min(...offPer), 3)} | ${f(Math.max(...offPer), 3)} |`);
    console.log(`| on (stored + 3 webhooks) | ${f(median(onPer), 3)} | ${f(Math.min(...onPer), 3)} | ${f(Math.max(...onPer), 3)} |`);
    if (storedPer.length > 0) console.log(`| records stored, no webhooks | ${f(median(storedPer), 3)} | ${f(Math.min(...storedPer), 3)} | ${f(Math.max(...storedPer), 3)} |`);
    console.log(`| on − off | ${f(d, 3)} | ${f(Math.min(...diff), 3)} | ${f(Math.max(...diff), 3)} |`);
    console.log('');
    for (const s of [CALL_S, 180]) {
      const perCallS = d / s;
      console.log(`calls of ${s} s: +${f(perCallS, 3)} ms CPU per call-second = +${f((perCallS / OFF_MS) * 100, 2)} % of the off figure ${OFF_MS} ms/call-s`);
    }
    console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await sink.child.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
