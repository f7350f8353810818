/**
 * The one interface every adapter implements. An adapter turns validated options into an `Agent` (the in-process
 * agent interface of `@patchbay/agents`, which speaks exactly protocol v1's messages), so the same adapter code
 * runs inside the gateway (a number names it in `patchbay.yaml`) or inside the standalone adapter server that the
 * gateway reaches over WebSocket like any external agent.
 */
import type { Agent } from '@patchbay/agents';
import type { z } from 'zod';

/** Environment variables. Adapters read secrets only through names their options give (`apiKeyEnv`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The subset of a pino logger adapters use. */
export interface AdapterLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AdapterContext {
  env: Env;
  logger: AdapterLogger;
}

export interface AgentAdapter<Schema extends z.ZodType = z.ZodType> {
  /** The name a configuration uses: `agent: { adapter: <name>, ... }`. */
  readonly name: string;
  /** The options under `agent:` besides `adapter`; validated at start-up, every problem listed with its path. */
  readonly options: Schema;
  /**
   * Builds the agent for one configured use (a number, or a path of the adapter server); it then serves every call
   * of that use. Secrets are resolved here (a missing one throws AdapterConfigError), not on the first call.
   */
  create(options: z.output<Schema>, context: AdapterContext): Agent;
}

/** Declares an adapter with its option types inferred from its schema. */
export function defineAdapter<Schema extends z.ZodType>(adapter: AgentAdapter<Schema>): AgentAdapter<Schema> {
  return adapter;
}
