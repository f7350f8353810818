/**
 * Which configured SIP trunk (carrier) a request comes from, by source IP.
 */
import { CidrSet } from './cidr.js';

export interface TrunkSpec {
  name: string;
  /** CIDRs or bare addresses; empty for a trunk that authenticates by digest only. */
  allow: string[];
  auth?: { username: string; password: string; algorithms?: ReadonlyArray<'SHA-256' | 'MD5'> };
}

export class TrunkMatcher {
  readonly #trunks: readonly { readonly spec: TrunkSpec; readonly allow: CidrSet }[];

  /** @throws CidrError when an `allow` entry is not a valid CIDR. */
  constructor(trunks: readonly TrunkSpec[]) {
    this.#trunks = trunks.map((spec) => ({ spec, allow: new CidrSet(spec.allow) }));
  }

  /** True when no trunks are configured: the embedded default, which accepts every source. */
  get open(): boolean {
    return this.#trunks.length === 0;
  }

  /** The first trunk, in config order, whose allowlist contains `sourceIp`. */
  match(sourceIp: string): TrunkSpec | undefined {
    for (const trunk of this.#trunks) if (trunk.allow.contains(sourceIp)) return trunk.spec;
    return undefined;
  }

  /** The first trunk, in config order, whose digest credentials use `username` (for auth-only trunks). */
  byUsername(username: string): TrunkSpec | undefined {
    for (const { spec } of this.#trunks) if (spec.auth?.username === username) return spec;
    return undefined;
  }
}
