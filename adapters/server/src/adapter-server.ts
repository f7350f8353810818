/**
 * The standalone adapter server: builds each configured path's agent through the registry (the same code and the
 * same option validation as in-process adapters in the gateway) and serves them all on one port over protocol v1.
 * The gateway reaches a path like any external agent: `agent: ws://adapters:8790/sales`.
 */
import type { Env } from '@patchbay/adapter-kit';
import { serveAgents, type Agent } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { AdapterServerConfig } from './config.js';
import { formatPath } from '@patchbay/adapter-kit';
import { AdapterServerConfigError } from './errors.js';
import { AdapterOptionsError, buildAdapterAgent, loadAdapter, type AdapterLoader } from './registry.js';

export interface AdapterServerOptions {
  /** Where adapters read the secrets their options name (`apiKeyEnv`). */
  readonly env: Env;
  readonly logger: Logger;
  /** Finds an adapter by name. Default: the registry (`openai-realtime`, `pipeline`, `livekit`). */
  readonly load?: AdapterLoader;
}

export interface AdapterServer {
  /** `ws://host:port` as listened on. */
  readonly url: string;
  /** Each path's URL as listened on: `{ '/sales': 'ws://0.0.0.0:8790/sales' }`. */
  readonly urls: Readonly<Record<string, string>>;
  /** Closes every call's connection (1001) and the listener. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds every path's agent, then listens.
 * @throws AdapterServerConfigError listing every path's problems (bad options, unknown adapter, missing secret).
 */
export async function startAdapterServer(config: AdapterServerConfig, options: AdapterServerOptions): Promise<AdapterServer> {
  const agents = await buildAgents(config, options);
  const logger = options.logger;
  const server = await serveAgents(agents, {
    host: config.listen.host,
    port: config.listen.port,
    ...(config.tokenSecret !== undefined ? { secret: config.tokenSecret } : {}),
    ...(config.publicUrl !== undefined ? { publicUrl: config.publicUrl } : {}),
    logger,
  });
  logger.info(
    {
      url: server.url,
      publicUrl: config.publicUrl,
      token: config.tokenSecret !== undefined,
      agents: Object.fromEntries(Object.entries(config.agents).map(([path, spec]) => [path, spec.adapter])),
    },
    'adapter server listening',
  );
  return server;
}

async function buildAgents(config: AdapterServerConfig, options: AdapterServerOptions): Promise<Record<string, Agent>> {
  const agents: Record<string, Agent> = {};
  const issues: string[] = [];
  for (const [path, spec] of Object.entries(config.agents)) {
    const context = { env: options.env, logger: options.logger.child({ path, adapter: spec.adapter }) };
    try {
      agents[path] = await buildAdapterAgent(spec, context, ['agents', path], options.load ?? loadAdapter);
    } catch (err) {
      if (!(err instanceof AdapterOptionsError)) throw err;
      for (const i of err.issues) issues.push(`${formatPath(i.path)}: ${i.message}`);
    }
  }
  if (issues.length > 0) throw new AdapterServerConfigError(issues, 'agents');
  return agents;
}
