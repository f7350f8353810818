/**
 * Turns a number's `agent:` into a live link for one call: a built-in name, a ws:// URL (protocol v1, or Twilio
 * Media Streams with `protocol: twilio`), `{ adapter: websocket, url }`, or an in-process adapter by name.
 */
import { builtinAgents, signCallToken, type StartMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { NumberRoute } from '../call/admission.js';
import type { Config } from '../config.js';
import { AgentConnectError, type AgentLink, type AgentSink } from './agent-link.js';
import type { AdapterAgents } from './adapters.js';
import { InProcessLink } from './in-process-link.js';
import { connectTwilioAgent } from './twilio-link.js';
import { connectWebSocketAgent } from './ws-link.js';

/** The configuration an agent link reads. */
export type AgentConfig = Pick<Config, 'agents' | 'media'>;

export interface ConnectAgentOptions {
  route: Pick<NumberRoute, 'agent' | 'protocol'>;
  /** The routing pattern the call matched: names the adapter agent built for that number. */
  pattern: string;
  start: StartMessage;
  config: AgentConfig;
  /** Adapters named in the configuration, loaded at start-up. */
  adapters: AdapterAgents;
  logger: Logger;
}

export async function connectAgent(options: ConnectAgentOptions, sink: AgentSink): Promise<AgentLink> {
  const { route, start, logger } = options;
  const agent = route.agent;
  if (typeof agent !== 'string') {
    if (agent.adapter === 'websocket') {
      const url = typeof agent['url'] === 'string' ? agent['url'] : '';
      const protocol = agent['protocol'] === 'twilio' ? 'twilio' : 'patchbay';
      return connectUrl(url, protocol, options, sink);
    }
    const adapted = options.adapters.agentFor(options.pattern);
    if (!adapted) throw new AgentConnectError('AGENT_UNKNOWN', `adapter '${agent.adapter}' for ${options.pattern} was not loaded`);
    return new InProcessLink(adapted, start, sink, logger);
  }
  if (isBuiltin(agent)) return new InProcessLink(builtinAgents[agent], start, sink, logger);
  if (!/^wss?:\/\//i.test(agent)) throw new AgentConnectError('AGENT_UNKNOWN', `unknown agent '${agent}'`);
  return connectUrl(agent, route.protocol ?? 'patchbay', options, sink);
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
  };
  return protocol === 'twilio' ? connectTwilioAgent(link, sink) : connectWebSocketAgent(link, sink);
}

function isBuiltin(name: string): name is keyof typeof builtinAgents {
  return Object.hasOwn(builtinAgents, name);
}
