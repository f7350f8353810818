/** Turns a number's `agent:` (a built-in name or a ws:// URL) into a live link for one call. */
import { builtinAgents, signCallToken, type StartMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AgentConnectError, type AgentLink, type AgentSink } from './agent-link.js';
import { InProcessLink } from './in-process-link.js';
import { connectWebSocketAgent } from './ws-link.js';

/** The configuration an agent link reads. */
export type AgentConfig = Pick<Config, 'agents' | 'media'>;

export interface ConnectAgentOptions {
  agent: string;
  start: StartMessage;
  config: AgentConfig;
  logger: Logger;
}

export async function connectAgent(options: ConnectAgentOptions, sink: AgentSink): Promise<AgentLink> {
  const { agent, start, config, logger } = options;
  if (isBuiltin(agent)) return new InProcessLink(builtinAgents[agent], start, sink, logger);
  if (!/^wss?:\/\//i.test(agent)) throw new AgentConnectError('AGENT_UNKNOWN', `unknown agent '${agent}'`);
  const secret = config.agents.tokenSecret;
  return connectWebSocketAgent(
    {
      url: agent,
      start,
      ...(secret ? { token: signCallToken(secret, { callId: start.callId, streamId: start.streamId, url: agent }) } : {}),
      connectTimeoutMs: config.agents.connectTimeoutMs,
      maxUplinkMs: config.media.maxUplinkMs,
      logger,
    },
    sink,
  );
}

function isBuiltin(name: string): name is keyof typeof builtinAgents {
  return Object.hasOwn(builtinAgents, name);
}
