/**
 * Micro-benchmark: number routing with 100,000 exact numbers and 1,000 prefix patterns.
 * Run from the repo root: `npx tsx bench/src/micro/number-lookup.ts [rounds]` (default 20 rounds over 100k queries each).
 * Prints the build time and ns per lookup for exact hits, prefix hits and misses. Two figures from the same run
 * frame them: the floor is a bare `Map.get` (string → number) over the same keys; the strawman is a linear scan of
 * the prefixes, which is what the trie avoids (its cost grows with the number of patterns, the trie's does not).
 * Queries are fresh string copies, as numbers parsed from received messages are, so no lookup wins on identity.
 */

import { performance } from 'node:perf_hooks';
import { prng as rng } from '../prng.js';

import { normalizeNumber, NumberRouter } from '@patchbay/gateway';


const EXACT = 100_000;
const PREFIXES = 1_000;
const QUERIES = 100_000;
const rounds = Number(process.argv[2] ?? 20);

const random = rng(42);
const digits = (n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(random() * 10));
  return s;
};

// Exact numbers: NANP (+1 and 10 digits). Prefixes: other country codes (+2..+9), 2 to 6 digits after the code,
// so a prefix never shadows an exact number and a miss (+1, not in the table) matches nothing.
const exactNumbers = new Set<string>();
while (exactNumbers.size < EXACT) exactNumbers.add(`+1${String(2 + Math.floor(random() * 8))}${digits(9)}`);
const prefixes = new Set<string>();
while (prefixes.size < PREFIXES) prefixes.add(`+${String(2 + Math.floor(random() * 8))}${digits(2 + Math.floor(random() * 5))}`);

const entries: [string, number][] = [];
let value = 0;
for (const n of exactNumbers) entries.push([n, value++]);
for (const p of prefixes) entries.push([`${p}*`, value++]);

const exactList = [...exactNumbers];
const prefixList = [...prefixes];
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
/** A fresh flat copy, as a number parsed out of a received datagram would be (not the table's own string object). */
const fresh = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

const hits = Array.from({ length: QUERIES }, () => fresh(pick(exactList)));
const prefixHits = Array.from({ length: QUERIES }, () => {
  const p = pick(prefixList);
  return fresh(p + digits(13 - p.length));
});
const misses: string[] = [];
while (misses.length < QUERIES) {
  const n = `+1${String(2 + Math.floor(random() * 8))}${digits(9)}`;
  if (!exactNumbers.has(n)) misses.push(fresh(n));
}

// Build: median of 5.
const buildTimes: number[] = [];
let router = new NumberRouter(entries);
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  router = new NumberRouter(entries);
  buildTimes.push(performance.now() - t0);
}
buildTimes.sort((a, b) => a - b);
console.log(`entries: ${EXACT.toLocaleString('en')} exact + ${PREFIXES.toLocaleString('en')} prefixes (size ${router.size})`);
console.log(`${'build (median of 5)'.padEnd(40)} ${(buildTimes[2] ?? 0).toFixed(1)} ms`);

function measure(label: string, queries: readonly string[], fn: (q: string) => number): number {
  let sink = 0;
  for (const q of queries) sink += fn(q); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const q of queries) sink += fn(q);
  const ns = ((performance.now() - t0) * 1e6) / (rounds * queries.length);
  if (sink === -1) throw new Error('unreachable');
  console.log(`${label.padEnd(40)} ${ns.toFixed(1).padStart(8)} ns/lookup`);
  return ns;
}

const lookup = (q: string): number => router.lookup(q)?.value ?? -2;

// Check the tables mean what the labels say before timing them.
if (hits.some((q) => router.lookup(q)?.pattern !== q)) throw new Error('a hit did not match exactly');
if (prefixHits.some((q) => !router.lookup(q)?.pattern.endsWith('*'))) throw new Error('a prefix hit did not match a prefix');
if (misses.some((q) => router.lookup(q) !== undefined)) throw new Error('a miss matched');

const floorMap = new Map(entries);
const floor = measure('floor: Map.get (exact hits)', hits, (q) => floorMap.get(q) ?? -2);
const hit = measure('lookup: exact hit', hits, lookup);
const prefixHit = measure('lookup: prefix hit', prefixHits, lookup);
const miss = measure('lookup: miss', misses, lookup);

const prefixEntries = prefixList.map((p, i) => [p, i] as const);
const linear = measure('strawman: linear prefix scan (prefix hits)', prefixHits.slice(0, 10_000), (q) => {
  let best = -2;
  let bestLength = -1;
  for (const [p, v] of prefixEntries) {
    if (p.length > bestLength && q.startsWith(p)) {
      best = v;
      bestLength = p.length;
    }
  }
  return best;
});

const raw = hits.slice(0, 10_000).map((n) => `"Caller" <sip:${n}@trunk.example.net;user=phone>;tag=abc`);
measure('normalizeNumber (name-addr From header)', raw, (q) => normalizeNumber(q).length);

console.log(
  `ratios vs floor: hit ${(hit / floor).toFixed(1)}x, prefix hit ${(prefixHit / floor).toFixed(1)}x, ` +
    `miss ${(miss / floor).toFixed(1)}x; linear scan is ${(linear / prefixHit).toFixed(0)}x the trie`,
);
