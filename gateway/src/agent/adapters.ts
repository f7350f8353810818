/**
 * The in-process adapters a configuration names, built once at start-up (and once in each media worker): one Agent
 * per number whose `agent:` names an adapter, validated by the adapter's own schema with every problem listed at its
 * path (`numbers."+1555".agent.model: ...`). `{ adapter: websocket, url, protocol }` is checked here: the gateway
 * speaks it itself.
 */
import { buildAdapterAgent, AdapterOptionsError, type AdapterSpec } from '@patchbay/adapter-server';
import type { Env } from '@patchbay/adapter-kit';
import type { Agent } from '@patchbay/agents';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError, formatPath, type Config } from '../config.js';

export interface AdapterAgents {
  /** The agent built for the number with routing pattern `pattern`, if it names an adapter. */
  agentFor(pattern: string): Agent | undefined;
}

/** No adapters: for planes and tests whose configuration names none. */
export const NO_ADAPTERS: AdapterAgents = { agentFor: () => undefined };

const websocketOptions = z.strictObject({
  adapter: z.literal('websocket'),
  url: z.string().regex(/^wss?:\/\/[^/\s]+/i, 'must be a ws:// or wss:// URL'),
  protocol: z.enum(['patchbay', 'twilio']).optional(),
});

/**
 * Builds one adapter block found at `at` (`['numbers', pattern, 'agent']`): its agent, or every problem with its path.
 * `{adapter: websocket}` is only checked (no agent: the gateway speaks it itself).
 */
export async function buildAdapter(
  spec: { adapter: string },
  at: readonly PropertyKey[],
  env: Env,
  logger: Logger,
): Promise<{ agent: Agent | undefined; issues: { path: PropertyKey[]; message: string }[] }> {
  if (spec.adapter === 'websocket') {
    const parsed = websocketOptions.safeParse(spec);
    return { agent: undefined, issues: parsed.success ? [] : parsed.error.issues.map((i) => ({ path: [...at, ...i.path], message: i.message })) };
  }
  try {
    return { agent: await buildAdapterAgent(spec as AdapterSpec, { env, logger: logger.child({ adapter: spec.adapter }) }, at), issues: [] };
  } catch (err) {
    if (!(err instanceof AdapterOptionsError)) throw err;
    return { agent: undefined, issues: err.issues.map((i) => ({ path: [...i.path], message: i.message })) };
  }
}

/** Builds every adapter agent `numbers` names; throws one ConfigError listing every problem. */
export async function loadAdapters(numbers: Config['numbers'], env: Env, logger: Logger): Promise<AdapterAgents> {
  const agents = new Map<string, Agent>();
  const issues: string[] = [];
  for (const [pattern, route] of Object.entries(numbers)) {
    const spec = route.agent;
    if (typeof spec === 'string') continue;
    const at = ['numbers', pattern, 'agent'];
    if (spec.adapter === 'websocket') {
      const parsed = websocketOptions.safeParse(spec);
      if (!parsed.success) for (const i of parsed.error.issues) issues.push(`${formatPath([...at, ...i.path])}: ${i.message}`);
      continue;
    }
    try {
      agents.set(pattern, await buildAdapterAgent(spec as AdapterSpec, { env, logger: logger.child({ adapter: spec.adapter, pattern }) }, at));
    } catch (err) {
      if (!(err instanceof AdapterOptionsError)) throw err;
      for (const i of err.issues) issues.push(`${formatPath(i.path)}: ${i.message}`);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'adapters');
  return { agentFor: (pattern) => agents.get(pattern) };
}
