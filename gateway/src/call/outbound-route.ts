/**
 * The route a placed call follows (pure): the configured `number`'s (agent, parameters, barge-in, speech, transfer
 * lists), with the request's agent and parameters over it. Refusals are the API's to show: NUMBER_UNKNOWN,
 * AGENT_INVALID.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, NumberRouteConfig } from '../config.js';
import { CallControlError, CallControlErrorCode, type PlaceCallRequest } from './control.js';
import { agentPlan } from './plan.js';

export function placedRoute(numbers: Config['numbers'], request: Partial<Pick<PlaceCallRequest, 'agent' | 'number' | 'parameters'>>): NumberRouteConfig {
  const numbered = request.number === undefined ? undefined : numbers[request.number];
  if (request.number !== undefined && numbered === undefined) throw refuse('NumberUnknown', `no configured number '${request.number}'`);
  const agent = requestedAgent(request.agent, numbered);
  const parameters = { ...numbered?.parameters, ...request.parameters };
  const route: NumberRouteConfig = { ...(numbered ?? { agent, parameters }), agent, parameters };
  const planned = agentPlan(route, request.number ?? '');
  if (planned.kind === 'unknown' || (planned.kind === 'url' && planned.url === '')) throw refuse('AgentInvalid', 'the agent is neither a built-in, a ws:// URL nor an adapter block');
  return route;
}

/**
 * The request's agent (a built-in name, a ws:// URL, `{ adapter: websocket, url }`), else the number's. Adapters
 * are built at start-up for the numbers naming them: another adapter block must be that of the `number` given.
 */
function requestedAgent(requested: unknown, numbered: NumberRouteConfig | undefined): NumberRouteConfig['agent'] {
  if (requested === undefined) {
    if (numbered === undefined) throw refuse('AgentInvalid', 'no agent given, and no number whose agent to take');
    return numbered.agent;
  }
  if (typeof requested === 'string') return requested;
  if (typeof requested === 'object' && requested !== null && 'adapter' in requested && typeof requested.adapter === 'string') {
    const block = { ...requested, adapter: requested.adapter };
    if (block.adapter === 'websocket' || (numbered !== undefined && isDeepStrictEqual(numbered.agent, block))) return block;
    throw refuse('AgentInvalid', `adapter '${block.adapter}' is built at start-up: give the number whose agent it is (number), without agent`);
  }
  throw refuse('AgentInvalid', 'the agent must be a built-in name, a ws:// URL or an adapter block');
}

export function refuse(code: Exclude<keyof typeof CallControlErrorCode, 'DestinationNotAllowed' | 'TrunkRateLimited'>, message: string): CallControlError {
  return new CallControlError(CallControlErrorCode[code], message);
}
