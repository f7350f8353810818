/**
 * A number's `forward:` key (config-numbers.ts numberRoute): the people its calls ring before its agent takes them.
 * Each target is a phone number or a SIP URI reached through an outbound trunk (the target's own `trunk`, else the
 * block's). Only the shape is checked here; config.ts checks that each trunk exists with an outbound side.
 */
import { z } from 'zod';

export const FORWARD_STRATEGIES = ['sequential', 'simultaneous'] as const;
export const FORWARD_FALLBACKS = ['agent', 'reject'] as const;
/** When people ring: before the agent (`first`), or only when the agent cannot be reached (`agent-unavailable`). */
export const FORWARD_WHEN = ['first', 'agent-unavailable'] as const;
export const FORWARD_DEFAULT_RING_TIMEOUT_S = 20;
/** What happens to the caller when the person it is bridged with hangs up first. A contract: config, API, docs/forwarding.md. */
export const PERSON_HANGUP_ACTIONS = ['end', 'agent'] as const;
export type PersonHangupAction = (typeof PERSON_HANGUP_ACTIONS)[number];

const trunkName = z.string().min(1);
const destination = z.string().trim().min(1).max(256);

export const forwardSchema = z
  .strictObject({
    /** Who to ring, in order: `+15551230001`, `sip:desk@pbx.example`, or `{ to, trunk }`. */
    to: z.array(z.union([destination, z.strictObject({ to: destination, trunk: trunkName.optional() })])).min(1).max(10),
    /** The outbound trunk for targets that name none. */
    trunk: trunkName.optional(),
    /** `sequential`: one after another, each for `ringTimeoutS`; `simultaneous`: all at once, the first to answer wins. */
    strategy: z.enum(FORWARD_STRATEGIES).default('sequential'),
    /** How long each target rings (sequential), or all of them (simultaneous). */
    ringTimeoutS: z.int().min(1).max(300).default(FORWARD_DEFAULT_RING_TIMEOUT_S),
    /**
     * `first` (default): people ring before the agent. `agent-unavailable`: the agent takes the call, and people ring
     * only when it cannot be reached (down, refusing, timing out): a failover instead of the apology.
     */
    when: z.enum(FORWARD_WHEN).default('first'),
    /**
     * Nobody answered. `agent` (default): with `when: first` the number's agent takes the call; with `when:
     * agent-unavailable` the number's own `onAgentFailure` applies (the apology, or a refusal). `reject`: 480, or 486
     * when every leg was busy.
     */
    fallback: z.enum(FORWARD_FALLBACKS).default('agent'),
    /**
     * The person hangs up first. `end` (default): the caller's call ends too (`peer-hangup`). `agent`: the caller goes
     * back to the number's agent, dialled again with `start.resume` (`cause: person-hangup`), and the call goes on.
     */
    onPersonHangup: z.enum(PERSON_HANGUP_ACTIONS).default('end'),
  })
  .superRefine((f, ctx) => {
    f.to.forEach((t, i) => {
      if (typeof t === 'string' ? f.trunk === undefined : t.trunk === undefined && f.trunk === undefined) {
        ctx.addIssue({ code: 'custom', path: ['to', i], message: 'names no trunk: give forward.trunk or this target its own trunk' });
      }
    });
  });

export type ForwardConfig = z.output<typeof forwardSchema>;

/** Each trunk `forward:` entries name, with its path, for the check that it exists with an outbound side. */
export function forwardTrunks(f: ForwardConfig): { trunk: string; path: (string | number)[] }[] {
  return f.to.map((t, i) => (typeof t === 'string' || t.trunk === undefined ? { trunk: f.trunk ?? '', path: f.trunk === undefined ? ['to', i] : ['trunk'] } : { trunk: t.trunk, path: ['to', i, 'trunk'] }));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every `numbers.*.forward` trunk that is not a configured trunk with an outbound side (config.ts superRefine). */
export function forwardTrunkIssues(config: unknown): { path: (string | number)[]; message: string }[] {
  if (!isRecord(config) || !isRecord(config['numbers'])) return [];
  const trunks = Array.isArray(config['trunks']) ? config['trunks'] : [];
  const outbound = new Set(trunks.filter((t) => isRecord(t) && isRecord(t['outbound']) && typeof t['name'] === 'string').map((t) => (t as { name: string }).name));
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [pattern, route] of Object.entries(config['numbers'])) {
    if (!isRecord(route)) continue;
    const parsed = forwardSchema.safeParse(route['forward']);
    if (route['forward'] === undefined || !parsed.success) continue; // shape problems are the schema's
    for (const issue of forwardTrunkProblems(parsed.data, outbound)) issues.push({ path: ['numbers', pattern, ...issue.path], message: issue.message });
  }
  return issues;
}

/** A `forward:` block's trunks that are not among `outbound` (paths from the route: `forward.to.1.trunk`). */
export function forwardTrunkProblems(f: ForwardConfig, outbound: ReadonlySet<string>): { path: (string | number)[]; message: string }[] {
  return forwardTrunks(f)
    .filter(({ trunk }) => trunk !== '' && !outbound.has(trunk))
    .map(({ trunk, path }) => ({ path: ['forward', ...path], message: `trunk '${trunk}' is not a trunk with an outbound side` }));
}
