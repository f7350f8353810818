/**
 * Every adapter by the name a configuration uses, loaded lazily (an SDK is imported only when a configuration names
 * its adapter), and the one place options are validated: the gateway (in-process adapters) and the adapter server
 * both build their agents here, so the same options mean the same thing both ways.
 */
import type { Agent } from '@patchbay/agents';
import { AdapterConfigError, AdapterErrorCode, type AdapterContext, type AgentAdapter } from '@patchbay/adapter-kit';

const LOADERS: Readonly<Record<string, () => Promise<AgentAdapter>>> = {
  'openai-realtime': async () => (await import('@patchbay/adapter-openai-realtime')).adapter as AgentAdapter,
  pipeline: async () => (await import('@patchbay/adapter-pipeline')).adapter as AgentAdapter,
  livekit: async () => (await import('@patchbay/adapter-livekit')).adapter as AgentAdapter,
};

/** Adapter names, for error messages and docs. `websocket` is not here: the gateway speaks it natively. */
export const ADAPTER_NAMES: readonly string[] = Object.keys(LOADERS);

/** Finds an adapter by name; throws AdapterConfigError (ADAPTER_UNKNOWN) for a name it does not know. */
export type AdapterLoader = (name: string) => Promise<AgentAdapter>;

export async function loadAdapter(name: string): Promise<AgentAdapter> {
  const load = LOADERS[name];
  if (!load) throw new AdapterConfigError(AdapterErrorCode.Unknown, `unknown adapter '${name}' (known: ${ADAPTER_NAMES.join(', ')}, websocket)`);
  return load();
}

/** What a configuration says under `agent:` for an adapter. */
export interface AdapterSpec {
  readonly adapter: string;
  readonly [option: string]: unknown;
}

/** A configuration problem with where it is (`['numbers', '+1555', 'agent', 'model']`). */
export interface AdapterIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export class AdapterOptionsError extends AdapterConfigError {
  constructor(readonly issues: readonly AdapterIssue[]) {
    super(AdapterErrorCode.BadOptions, issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; '));
  }
}

/**
 * Validates `spec`'s options with its adapter's schema and builds the agent. Every problem is reported with its path
 * under `at` (AdapterOptionsError); a missing secret is reported at `at` too. `load` finds the adapter (default: the
 * registry above; tests and embedders pass their own).
 */
export async function buildAdapterAgent(
  spec: AdapterSpec,
  context: AdapterContext,
  at: readonly PropertyKey[],
  load: AdapterLoader = loadAdapter,
): Promise<Agent> {
  let adapter: AgentAdapter;
  try {
    adapter = await load(spec.adapter);
  } catch (err) {
    throw new AdapterOptionsError([{ path: [...at, 'adapter'], message: err instanceof Error ? err.message : String(err) }]);
  }
  const { adapter: _name, ...options } = spec;
  const parsed = adapter.options.safeParse(options);
  if (!parsed.success) {
    throw new AdapterOptionsError(
      parsed.error.issues.flatMap((i): AdapterIssue[] =>
        // One line per unknown key, at the key: `numbers."+1555".agent.modle: unknown option (check the spelling)`.
        i.code === 'unrecognized_keys'
          ? i.keys.map((key) => ({ path: [...at, ...i.path, key], message: 'unknown option (check the spelling)' }))
          : [{ path: [...at, ...i.path], message: i.message }],
      ),
    );
  }
  try {
    return adapter.create(parsed.data, context);
  } catch (err) {
    if (err instanceof AdapterConfigError) throw new AdapterOptionsError([{ path: at, message: err.message }]);
    throw err;
  }
}
