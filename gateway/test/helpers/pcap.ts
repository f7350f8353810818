/**
 * A tiny pcap reader for tests: the classic libpcap format (either byte order, µs or ns timestamps), Ethernet
 * (with optional 802.1Q tags) / IPv4 / UDP only. Enough to replay SIPp's RTP captures; not a general decoder.
 */
import { readFileSync } from 'node:fs';

export interface UdpRecord {
  /** Capture time in ms since the epoch (fractional). */
  timeMs: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload (a view into the file's bytes). */
  payload: Uint8Array;
}

export function readPcapUdp(path: string): UdpRecord[] {
  return parsePcapUdp(new Uint8Array(readFileSync(path)));
}

export function parsePcapUdp(bytes: Uint8Array): UdpRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new Error('pcap: shorter than the global header');
  const magic = view.getUint32(0, true);
  let little: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    little = true;
    nanos = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    little = false;
    nanos = magic === 0x4d3cb2a1;
  } else {
    throw new Error(`pcap: bad magic 0x${magic.toString(16)}`);
  }
  const linkType = view.getUint32(20, little);
  if (linkType !== 1) throw new Error(`pcap: link type ${linkType} is not Ethernet`);

  const out: UdpRecord[] = [];
  let offset = 24;
  while (offset + 16 <= bytes.length) {
    const sec = view.getUint32(offset, little);
    const frac = view.getUint32(offset + 4, little);
    const inclLen = view.getUint32(offset + 8, little);
    const start = offset + 16;
    offset = start + inclLen;
    if (offset > bytes.length) throw new Error('pcap: truncated record');
    const frame = bytes.subarray(start, offset);
    const udp = udpOf(frame);
    if (udp !== undefined) out.push({ timeMs: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3), ...udp });
  }
  return out;
}

function udpOf(frame: Uint8Array): Omit<UdpRecord, 'timeMs'> | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let p = 12;
  if (frame.length < p + 2) return undefined;
  let etherType = view.getUint16(p);
  while (etherType === 0x8100 && frame.length >= p + 6) {
    p += 4;
    etherType = view.getUint16(p);
  }
  p += 2;
  if (etherType !== 0x0800 || frame.length < p + 20) return undefined;
  const ihl = (view.getUint8(p) & 0x0f) * 4;
  if (view.getUint8(p + 9) !== 17) return undefined;
  const totalLength = view.getUint16(p + 2);
  const ipEnd = Math.min(frame.length, p + totalLength);
  const u = p + ihl;
  if (u + 8 > ipEnd) return undefined;
  const udpLength = view.getUint16(u + 4);
  return {
    srcPort: view.getUint16(u),
    dstPort: view.getUint16(u + 2),
    payload: frame.subarray(u + 8, Math.min(ipEnd, u + udpLength)),
  };
}
