import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPcapUdp } from '../../../test/helpers/pcap.js';
import { parseRtp, serializeRtp } from '../rtp/packet.js';
import { DtmfReceiver, DtmfSender, type DtmfEvent } from './rfc4733.js';

const PCAP_DIR = '/usr/share/sip-tester';
const NAMES: Record<string, string> = { star: '*', pound: '#' };

const ev = (code: number, end: boolean, duration: number, volume = 10): Uint8Array =>
  new Uint8Array([code, (end ? 0x80 : 0) | volume, duration >> 8, duration & 0xff]);

describe('DtmfReceiver on SIPp captures', () => {
  const files = readdirSync(PCAP_DIR).filter((f) => /^dtmf_2833_.+\.pcap$/.test(f));

  it('finds the twelve captures', () => {
    expect(files).toHaveLength(12);
  });

  for (const file of files) {
    const key = /^dtmf_2833_(.+)\.pcap$/.exec(file)?.[1] ?? '';
    const digit = NAMES[key] ?? key;
    it(`${file} yields exactly one '${digit}' of 280 ms`, () => {
      const rx = new DtmfReceiver();
      const events: DtmfEvent[] = [];
      const records = readPcapUdp(`${PCAP_DIR}/${file}`);
      const t0 = records[0]?.timeMs ?? 0;
      for (const r of records) {
        const p = parseRtp(r.payload);
        expect(p?.payloadType).toBe(101);
        if (p !== undefined) events.push(...rx.push(p, r.timeMs - t0));
      }
      events.push(...rx.tick(60_000)); // nothing left pending
      expect(events).toEqual([{ digit, durationMs: 280, volume: 10 }]);
    });
  }
});

describe('DtmfReceiver', () => {
  it('emits once per key press despite updates and three end packets', () => {
    const rx = new DtmfReceiver();
    const out: DtmfEvent[] = [];
    for (let d = 160; d <= 800; d += 160) out.push(...rx.push({ timestamp: 1000, payload: ev(1, false, d) }, d / 8));
    for (let i = 0; i < 3; i++) out.push(...rx.push({ timestamp: 1000, payload: ev(1, true, 960) }, 120 + i * 20));
    out.push(...rx.push({ timestamp: 1000, payload: ev(1, false, 640) }, 200)); // a late update of the same press
    expect(out).toEqual([{ digit: '1', durationMs: 120, volume: 10 }]);
  });

  it('a new timestamp ends a press whose end packets were lost', () => {
    const rx = new DtmfReceiver();
    expect(rx.push({ timestamp: 1000, payload: ev(2, false, 160) }, 0)).toEqual([]);
    expect(rx.push({ timestamp: 1000, payload: ev(2, false, 480) }, 40)).toEqual([]);
    expect(rx.push({ timestamp: 5000, payload: ev(11, false, 160) }, 500)).toEqual([{ digit: '2', durationMs: 60, volume: 10 }]);
    expect(rx.push({ timestamp: 5000, payload: ev(11, true, 800) }, 600)).toEqual([{ digit: '#', durationMs: 100, volume: 10 }]);
  });

  it('the same digit pressed twice is two events (two timestamps)', () => {
    const rx = new DtmfReceiver();
    const out = [
      ...rx.push({ timestamp: 1000, payload: ev(7, true, 800) }, 0),
      ...rx.push({ timestamp: 3000, payload: ev(7, true, 800) }, 300),
    ];
    expect(out.map((e) => e.digit)).toEqual(['7', '7']);
  });

  it('tick() ends a press after the timeout when every end packet is lost', () => {
    const rx = new DtmfReceiver({ endTimeoutMs: 300 });
    rx.push({ timestamp: 0, payload: ev(12, false, 400, 20) }, 1000);
    expect(rx.tick(1299)).toEqual([]);
    expect(rx.tick(1300)).toEqual([{ digit: 'A', durationMs: 50, volume: 20 }]);
    expect(rx.tick(5000)).toEqual([]);
    expect(rx.push({ timestamp: 0, payload: ev(12, true, 800, 20) }, 1400)).toEqual([]); // its late end packet
  });

  it('ignores non-DTMF events and short payloads', () => {
    const rx = new DtmfReceiver();
    expect(rx.push({ timestamp: 0, payload: ev(16, true, 800) }, 0)).toEqual([]); // flash
    expect(rx.push({ timestamp: 9, payload: new Uint8Array([1, 0x80]) }, 0)).toEqual([]);
  });
});

describe('DtmfSender', () => {
  it('sends start (marker), growing updates and three end packets with one timestamp', () => {
    const tx = new DtmfSender({ clockRate: 8000, ptimeMs: 20, volume: 10 });
    expect(tx.send('5', 100)).toBe(true);
    const ticks = Array.from({ length: 10 }, (_, k) => tx.tick(50_000 + k * 160));
    const sent = ticks.flat();
    expect(sent.map((p) => [p.marker, p.end, ((p.payload[2] ?? 0) << 8) | (p.payload[3] ?? 0)])).toEqual([
      [true, false, 160],
      [false, false, 320],
      [false, false, 480],
      [false, false, 640],
      [false, true, 800],
      [false, true, 800],
      [false, true, 800],
    ]);
    expect(new Set(sent.map((p) => p.timestamp))).toEqual(new Set([50_000]));
    expect(sent.every((p) => p.payload[0] === 5 && ((p.payload[1] ?? 0) & 0x3f) === 10)).toBe(true);
    expect(ticks.slice(7).every((t) => t.length === 0)).toBe(true);
    expect(tx.busy).toBe(false);
  });

  it('round-trips through RTP to the receiver as exactly one event per digit, with a gap between digits', () => {
    const tx = new DtmfSender({ gapMs: 40 });
    const rx = new DtmfReceiver();
    for (const d of '19*#AD') expect(tx.send(d, 120)).toBe(true);
    expect(tx.send('x', 120)).toBe(false);
    const events: DtmfEvent[] = [];
    let seq = 100;
    const tickTimestamps: number[] = [];
    for (let k = 0; k < 100; k++) {
      const timestamp = (0xffffff00 + k * 160) >>> 0; // across the 32-bit wrap
      for (const p of tx.tick(timestamp)) {
        tickTimestamps.push(k);
        const raw = serializeRtp({ payloadType: 101, marker: p.marker, sequenceNumber: seq++, timestamp: p.timestamp, ssrc: 1, csrcs: [], payload: p.payload });
        const back = parseRtp(raw);
        if (back !== undefined) events.push(...rx.push(back, k * 20));
      }
    }
    expect(events).toEqual('19*#AD'.split('').map((digit) => ({ digit, durationMs: 120, volume: 10 })));
    // 6 digits × (6 update/end ticks + 2 end repeats) = 48 packets, one per tick; 2 silent ticks between digits.
    expect(tickTimestamps).toHaveLength(48);
    expect(tickTimestamps[8]).toBe(10);
  });

  it('bounds its queue and clamps durations', () => {
    const tx = new DtmfSender({ maxQueue: 2 });
    expect(tx.send('1', 5)).toBe(true);
    expect(tx.send('2', 60_000)).toBe(true);
    expect(tx.send('3', 100)).toBe(false);
    const first = tx.tick(0);
    expect(first[0]?.end).toBe(true); // 5 ms → one ptime, start and end at once
    expect(first[0]?.marker).toBe(true);
    tx.tick(0);
    tx.tick(0);
    for (let i = 0; i < 2; i++) expect(tx.tick(480)).toEqual([]); // gap
    const long = [];
    for (let i = 0; i < 500; i++) long.push(...tx.tick(960));
    const last = long.at(-1)?.payload ?? new Uint8Array(4);
    expect(((last[2] ?? 0) << 8) | (last[3] ?? 0)).toBe(0xffff);
  });
});
