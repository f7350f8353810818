/**
 * Micro-benchmark: `PlayoutQueue.take` per 20 ms packet (480 samples at 24 kHz), in CPU µs. Run from the repo root:
 * `npx tsx bench/src/micro/playout-take.ts`. Two shapes of agent audio, in one process, alternating:
 * - chunks of 480 samples (an agent sending 20 ms frames, as the bench's echo agent does): each packet lies inside
 *   one chunk and is taken as a view;
 * - chunks of 479 and 481 samples: each packet spans two chunks and is copied into a fresh array (what every take
 *   did before views).
 */
import { PlayoutQueue } from '../../../gateway/src/media/playout-queue.js';

const PACKET = 480;
const PACKETS = 200_000;
const whole = new Int16Array(PACKET).fill(7);
const short = new Int16Array(PACKET - 1).fill(7);
const long = new Int16Array(PACKET + 1).fill(7);

function run(split: boolean): number {
  const q = new PlayoutQueue({ maxSamples: 24_000 * 10, leadSamples: 0 });
  let kept = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < PACKETS; i += 2) {
    if (split) {
      q.push(short, 1);
      q.push(long, 2);
    } else {
      q.push(whole, 1);
      q.push(whole, 2);
    }
    kept += q.take(PACKET)?.samples[0] ?? 0;
    kept += q.take(PACKET)?.samples[PACKET - 1] ?? 0;
  }
  const used = process.cpuUsage(t0);
  if (kept !== PACKETS * 7 * 1) throw new Error(`wrong samples: ${kept}`);
  return (used.user + used.system) / PACKETS;
}

const views: number[] = [];
const copies: number[] = [];
for (let r = 0; r < 11; r++) {
  const v = run(false);
  const c = run(true);
  if (r > 0) {
    views.push(v);
    copies.push(c);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(`playout take (480 samples), median of ${views.length} rounds of ${PACKETS} packets, CPU µs per packet:`);
console.log(`  inside one chunk (view):   ${median(views).toFixed(3)}`);
console.log(`  across two chunks (copy):  ${median(copies).toFixed(3)}`);
