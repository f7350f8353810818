/**
 * The SIP edge's settings (edge/, docs/edge.md): `sip.edge` (per-source rate limit and ban list), `sip.unknownSources`
 * and `sip.scannerUserAgents`. One schema per key, added to config.ts's `sip` object.
 */
import { z } from 'zod';
import { cidr } from './config-trunks.js';
import { SCANNER_USER_AGENTS, UNKNOWN_SOURCE_POLICIES } from './edge/index.js';

/**
 * Per-source limits before parsing. An untrusted source (outside every trunk's allow-list and `exempt`) may send
 * `requestsPerSecond` messages a second sustained, `burst` at once; beyond that it is banned for `banSeconds`
 * (doubling on a repeat within `maxBanSeconds`, up to it). A carrier sending hundreds of calls a second is in a
 * trunk's allow-list and never limited here. Defaults and their reasons: docs/edge.md.
 */
export const edgeSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    requestsPerSecond: z.number().positive().max(100_000).default(50),
    burst: z.int().min(1).max(1_000_000).default(200),
    banSeconds: z.int().min(1).max(86_400).default(60),
    maxBanSeconds: z.int().min(1).max(604_800).default(3_600),
    /** Sources tracked at most (~150 bytes each); the stalest is forgotten beyond it. */
    maxSources: z.int().min(100).max(10_000_000).default(10_000),
    /** Never limited or banned, besides every trunk's allow-list. Loopback by default: a local SBC or tool. */
    exempt: z.array(cidr).default(['127.0.0.0/8', '::1']),
  })
  .refine((e) => e.maxBanSeconds >= e.banSeconds, { path: ['maxBanSeconds'], message: 'must be >= banSeconds' })
  .prefault({});

/** `answer` (default): refusals as usual. `drop`: requests from outside every trunk's allow-list get no answer at all. */
export const unknownSourcesSchema = z.enum(UNKNOWN_SOURCE_POLICIES).default('answer');

/** Case-insensitive substrings of User-Agent values whose requests are dropped (and their source banned). */
export const scannerUserAgentsSchema = z.array(z.string().trim().min(3, 'must be at least 3 characters')).default([...SCANNER_USER_AGENTS]);

/**
 * With `sip.unknownSources: drop`, an inbound trunk without an `allow` list (digest-only, or delivering through its
 * registrar) could never reach us: its requests would be dropped unanswered. Said at start-up, not found in production.
 */
export function unknownSourcesIssues(config: unknown): { path: (string | number)[]; message: string }[] {
  if (!isRecord(config) || !isRecord(config['sip']) || config['sip']['unknownSources'] !== 'drop') return [];
  const trunks = Array.isArray(config['trunks']) ? config['trunks'] : [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  trunks.forEach((trunk: unknown, i) => {
    if (!isRecord(trunk)) return;
    const allow = Array.isArray(trunk['allow']) ? trunk['allow'] : [];
    const inbound = trunk['auth'] !== undefined || trunk['register'] !== undefined;
    if (inbound && allow.length === 0) {
      issues.push({ path: ['trunks', i, 'allow'], message: 'is required with sip.unknownSources: drop (requests from outside every allow-list are dropped unanswered)' });
    }
  });
  if (!trunks.some((t: unknown) => isRecord(t) && Array.isArray(t['allow']) && t['allow'].length > 0)) {
    issues.push({ path: ['sip', 'unknownSources'], message: 'drop needs at least one trunk with an allow list: every request would be dropped' });
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
