/**
 * IPv4/IPv6 CIDR allowlists for trunk matching.
 *
 * An IPv4 address and its IPv4-mapped IPv6 form (`10.1.2.3`, `::ffff:10.1.2.3`) are the same address: each
 * matches entries written either way, which is what a dual-stack socket reports for IPv4 peers.
 */

export class CidrError extends Error {
  override readonly name = 'CidrError';
  readonly code = 'CIDR_INVALID';

  constructor(
    /** The text that failed to parse. */
    readonly cidr: string,
    why: string,
  ) {
    super(`invalid CIDR '${cidr}': ${why}`);
  }
}

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address with host bits cleared: 4 or 16 bytes. */
  readonly address: Uint8Array;
  readonly prefixLength: number;
  /** As written. */
  readonly source: string;
}

/**
 * Parse `10.0.0.0/8`, `2001:db8::/32`, or a bare address (meaning /32 or /128). Host bits after the prefix are
 * cleared (`10.1.2.3/8` is `10.0.0.0/8`). Throws `CidrError` naming the input.
 */
export function parseCidr(s: string): Cidr {
  const text = s.trim();
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseIp(addressText);
  if (address === undefined) throw new CidrError(s, `'${addressText}' is not an IPv4 or IPv6 address`);
  const maxBits = address.length * 8;
  let prefixLength = maxBits;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits) {
      throw new CidrError(s, `prefix length must be a number from 0 to ${maxBits}`);
    }
    prefixLength = Number(bits);
  }
  clearHostBits(address, prefixLength);
  return { family: address.length === 4 ? 4 : 6, address, prefixLength, source: s };
}

export class CidrSet {
  readonly #v4: Cidr[] = [];
  readonly #v6: Cidr[] = [];

  /** @throws CidrError for the first entry that does not parse. */
  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      (cidr.family === 4 ? this.#v4 : this.#v6).push(cidr);
    }
  }

  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  /** Whether `ip` (as a socket reports it; `[...]` and an IPv6 zone are tolerated) is in any entry. Never throws. */
  contains(ip: string): boolean {
    const address = parseIp(stripBracketsAndZone(ip.trim()));
    if (address === undefined) return false;
    const v4 = address.length === 4 ? address : unmapV4(address);
    if (v4 !== undefined && this.#v4.some((cidr) => inCidr(v4, cidr))) return true;
    const v6 = address.length === 16 ? address : mapV4(address);
    return this.#v6.some((cidr) => inCidr(v6, cidr));
  }
}

function inCidr(address: Uint8Array, cidr: Cidr): boolean {
  const full = cidr.prefixLength >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== cidr.address[i]) return false;
  const rest = cidr.prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[full] ?? 0) & mask) === cidr.address[full];
}

function clearHostBits(address: Uint8Array, prefixLength: number): void {
  for (let i = 0; i < address.length; i++) {
    const keep = Math.min(8, Math.max(0, prefixLength - i * 8));
    address[i] = (address[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
}

function stripBracketsAndZone(ip: string): string {
  const unbracketed = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = unbracketed.indexOf('%');
  return zone < 0 ? unbracketed : unbracketed.slice(0, zone);
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function unmapV4(v6: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < V4_MAPPED_PREFIX.length; i++) if (v6[i] !== V4_MAPPED_PREFIX[i]) return undefined;
  return v6.subarray(12);
}

function mapV4(v4: Uint8Array): Uint8Array {
  const v6 = new Uint8Array(16);
  v6.set(V4_MAPPED_PREFIX);
  v6.set(v4, 12);
  return v6;
}

/** 4 bytes for IPv4, 16 for IPv6, undefined for anything else. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

const V4_OCTET = /^(0|[1-9]\d{0,2})$/;

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    // Leading zeros are rejected: some stacks read `010` as octal.
    if (!V4_OCTET.test(part) || Number(part) > 255) return undefined;
    out[i] = Number(part);
  }
  return out;
}

const V6_GROUP = /^[0-9a-f]{1,4}$/i;

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const all = [...head, ...tail];
  // A dotted IPv4 is allowed only as the last 32 bits (`::ffff:1.2.3.4`, not `1.2.3.4::`).
  const last = halves.length === 2 && tail.length === 0 ? -1 : all.length - 1;
  if (all.some((g, i) => g.length === 4 && i !== last)) return undefined;
  const bytes = all.flat();
  if (halves.length === 1 ? bytes.length !== 16 : bytes.length > 14) return undefined;
  const out = new Uint8Array(16);
  const headBytes = head.flat();
  out.set(headBytes, 0);
  out.set(tail.flat(), 16 - (bytes.length - headBytes.length));
  return out;
}

/** Colon-separated groups as byte arrays (2 bytes per hex group, 4 for a dotted IPv4); '' → no groups. */
function groupsOf(text: string): number[][] | undefined {
  if (text === '') return [];
  const groups: number[][] = [];
  for (const part of text.split(':')) {
    if (V6_GROUP.test(part)) {
      const n = parseInt(part, 16);
      groups.push([n >> 8, n & 0xff]);
    } else {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push([...v4]);
    }
  }
  return groups;
}
