/** Narrowing helpers for parsed JSON/YAML, and the parts of a compose file the stack checks read. */
import { resolve } from 'node:path';

export type Json = Record<string, unknown>;

export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `v` if it is an object, else an empty one (the check that reads it then fails on the missing key). */
export const record = (v: unknown): Json => (isRecord(v) ? v : {});
export const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** `host:port` or `:port` → port. */
export function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}

export interface Mount {
  readonly service: string;
  /** Absolute path on this machine. */
  readonly source: string;
  readonly target: string;
}

/** Every bind mount of every service (short `./src:/target[:ro]` or long `{ type: bind }` syntax); named volumes are skipped. */
export function composeMounts(composeDir: string, services: Json): Mount[] {
  const out: Mount[] = [];
  for (const [service, def] of Object.entries(services)) {
    const volumes: unknown[] = isRecord(def) && Array.isArray(def['volumes']) ? def['volumes'] : [];
    for (const v of volumes) {
      if (typeof v === 'string') {
        const [source = '', target = ''] = v.split(':');
        if (/^[./~]/.test(source)) out.push({ service, source: resolve(composeDir, source), target });
      } else if (isRecord(v) && v['type'] === 'bind') {
        out.push({ service, source: resolve(composeDir, str(v['source'])), target: str(v['target']) });
      }
    }
  }
  return out;
}

export interface PortMapping {
  /** Published range on the host, null when only exposed to the compose network. */
  readonly host: [number, number] | null;
  readonly container: [number, number];
  readonly protocol: string;
}

function range(text: string): [number, number] {
  const [lo = '', hi = lo] = text.split('-');
  return [Number(lo), Number(hi)];
}

/** A service's `ports`: `[ip:][host[-range]:]container[-range][/proto]` strings or `{ target, published, protocol }`. */
export function composePorts(service: Json): PortMapping[] {
  const ports: unknown[] = Array.isArray(service['ports']) ? service['ports'] : [];
  return ports.map((p): PortMapping => {
    if (isRecord(p)) {
      const target = range(String(p['target']));
      return { host: p['published'] === undefined ? null : range(String(p['published'])), container: target, protocol: str(p['protocol']) || 'tcp' };
    }
    const [spec = '', protocol = 'tcp'] = String(p).split('/');
    const parts = spec.split(':');
    const container = range(parts[parts.length - 1] ?? '');
    const host = parts.length >= 2 ? range(parts[parts.length - 2] ?? '') : null;
    return { host, container, protocol };
  });
}
