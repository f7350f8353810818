/**
 * Which sources the edge trusts (passes untouched): every trunk's `allow` entries, the literal IP addresses among
 * its outbound proxy and registrar hosts (they answer and send us in-dialog requests), and `sip.edge.exempt`.
 * Host names are not resolved: a trunk reached by name whose traffic must bypass the limits lists its addresses in
 * `sip.edge.exempt` (docs/edge.md). Takes the configuration's shape, not its types: the edge knows nothing of calls.
 */
import { parseIp } from '../routing/index.js';

export interface TrunkAddresses {
  readonly allow: readonly string[];
  readonly outbound?: { readonly proxy: { readonly host: string } } | undefined;
  readonly register?: { readonly registrar: { readonly host: string } } | undefined;
}

export function trustedSources(trunks: readonly TrunkAddresses[], exempt: readonly string[]): string[] {
  const out = new Set<string>(exempt);
  for (const trunk of trunks) {
    for (const entry of trunk.allow) out.add(entry);
    for (const host of [trunk.outbound?.proxy.host, trunk.register?.registrar.host]) {
      const literal = host === undefined ? undefined : unbracket(host);
      if (literal !== undefined && parseIp(literal) !== undefined) out.add(literal);
    }
  }
  return [...out];
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
