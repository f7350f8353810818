/**
 * The unit the edge counts by: an IPv4 address (also when IPv4-mapped), or an IPv6 address's /64 (one host on IPv6
 * holds a whole /64: counting per address would give it 2^64 fresh starts). Pure.
 */
import { parseIp } from '../routing/index.js';

export function sourceKey(address: string): string {
  // The common case first: a dotted IPv4 as the transports report it (normalizeAddress unmaps ::ffff:a.b.c.d).
  if (!address.includes(':')) return address;
  const bytes = parseIp(stripZone(address));
  if (bytes === undefined) return address;
  if (bytes.length === 4) return address;
  const v4Mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (v4Mapped) return bytes.subarray(12).join('.');
  return `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}::/64`;
}

function stripZone(address: string): string {
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf('%');
  return zone < 0 ? unbracketed : unbracketed.slice(0, zone);
}
