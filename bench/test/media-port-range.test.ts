import { describe, expect, it } from 'vitest';
import { mediaPortRange, parseEphemeralRange } from '../src/proc/ports.js';

const LINUX = { low: 32768, high: 60999 };
const IANA = { low: 49152, high: 65535 };
/** Random draws at both ends and in between: the range must be right wherever the pick lands. */
const DRAWS = [0, 0.25, 0.5, 0.75, 0.999999];

describe('mediaPortRange', () => {
  // The load generator's RTP sockets bind port 0 (an ephemeral port p); the gateway sends its RTCP to p + 1. Were
  // p + 1 a gateway media port, another call's gateway would refuse that SRTCP as `auth` (or take plain RTCP for its
  // own): the 4 refusals of bench/results/2026-12-06-srtp-vs-plain-100.md repetition c.
  it.each([
    ['Linux default', LINUX, 600],
    ['IANA', IANA, 600],
    ['Linux default, a large run', LINUX, 4 * 2000 + 200],
  ])('keeps the gateway range clear of every ephemeral port and of ephemeral port + 1 (%s, %i ports)', (_name, ephemeral, size) => {
    for (const draw of DRAWS) {
      const { portMin, portMax } = mediaPortRange(size, ephemeral, () => draw);
      expect(portMin % 2).toBe(0);
      expect(portMax - portMin + 1).toBe(size);
      expect(portMin).toBeGreaterThanOrEqual(1024);
      expect(portMax).toBeLessThanOrEqual(65535);
      const clear = portMax < ephemeral.low || portMin > ephemeral.high + 1;
      expect(clear, `${portMin}-${portMax} against ephemeral ${ephemeral.low}-${ephemeral.high}`).toBe(true);
    }
  });

  it('uses the room above the ephemeral range when there is none below, leaving high + 1 out', () => {
    const ephemeral = { low: 10500, high: 50000 };
    for (const draw of DRAWS) {
      const { portMin, portMax } = mediaPortRange(1000, ephemeral, () => draw);
      expect(portMin).toBeGreaterThan(ephemeral.high + 1);
      expect(portMax).toBeLessThanOrEqual(65535);
    }
  });

  it('falls back to a range anywhere when the ephemeral range leaves no room (the gateway skips ports it cannot bind)', () => {
    const { portMin, portMax } = mediaPortRange(600, { low: 1024, high: 65535 }, () => 0.5);
    expect(portMax - portMin + 1).toBe(600);
    expect(portMin % 2).toBe(0);
  });
});

describe('parseEphemeralRange', () => {
  it('reads /proc/sys/net/ipv4/ip_local_port_range text, and nothing else', () => {
    expect(parseEphemeralRange('32768\t60999\n')).toEqual(LINUX);
    expect(parseEphemeralRange('garbage')).toBeUndefined();
    expect(parseEphemeralRange('60999 32768')).toBeUndefined();
  });
});
