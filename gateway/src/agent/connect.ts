/**
 * Turns a number's `agent:` into a live link for one call: a built-in name, a ws:// URL (protocol v1, or Twilio
 * Media Streams with `protocol: twilio`), `{ adapter: websocket, url }`, or an in-process adapter by name.
 */
import { builtinAgents, signCallToken, type StartMessage } from '@patchbay/agents';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { AgentPlan } from '../call/plan.js';
import type { Config } from '../config.js';
import { AgentConnectError, type AgentLink, type AgentSink } from './agent-link.js';
import type { AdapterAgents } from './adapters.js';
import { InProcessLink } from './in-process-link.js';
import { connectTwilioAgent } from './twilio-link.js';
import { connectWebSocketAgent } from './ws-link.js';

/** The configuration an agent link reads. */
export type AgentConfig = Pick<Config, 'agents' | 'media'>;

export interface ConnectAgentOptions {
  /** Who takes the call, as the call's plan resolved it (call/plan.ts). */
  agent: AgentPlan;
  start: StartMessage;
  config: AgentConfig;
  /** Adapters named in the configuration, loaded at start-up. */
  adapters: AdapterAgents;
  logger: Logger;
  /** `wss://` agents: this thread's context from `agents.tls` (agent-tls.ts); absent: Node's CAs. */
  secureContext?: SecureContext | undefined;
}

export async function connectAgent(options: ConnectAgentOptions, sink: AgentSink): Promise<AgentLink> {
  const { agent, start, logger } = options;
  switch (agent.kind) {
    case 'builtin':
      return new InProcessLink(builtinAgents[agent.name], start, sink, logger);
    case 'url':
      if (!/^wss?:\/\//i.test(agent.url)) throw new AgentConnectError('AGENT_UNKNOWN', 'agent URL must be ws:// or wss://');
      return connectUrl(agent.url, agent.protocol, options, sink);
    case 'adapter': {
      const adapted = options.adapters.agentFor(agent.key ?? agent.pattern);
      if (!adapted) throw new AgentConnectError('AGENT_UNKNOWN', `adapter '${agent.adapter}' for ${agent.pattern} was not loaded`);
      return new InProcessLink(adapted, start, sink, logger);
    }
    case 'bridge':
      throw new AgentConnectError('AGENT_UNKNOWN', 'a bridged leg is joined by the media plane, not dialled');
    case 'unknown':
      throw new AgentConnectError('AGENT_UNKNOWN', `unknown agent '${agent.name}'`);
  }
}

function connectUrl(url: string, protocol: 'patchbay' | 'twilio', options: ConnectAgentOptions, sink: AgentSink): Promise<AgentLink> {
  const { start, config, logger } = options;
  const secret = config.agents.tokenSecret;
  const link = {
    url,
    start,
    ...(secret ? { token: signCallToken(secret, { callId: start.callId, streamId: start.streamId, url }) } : {}),
    connectTimeoutMs: config.agents.connectTimeoutMs,
    maxUplinkMs: config.media.maxUplinkMs,
    logger,
    secureContext: options.secureContext,
  };
  return protocol === 'twilio' ? connectTwilioAgent(link, sink) : connectWebSocketAgent(link, sink);
}
