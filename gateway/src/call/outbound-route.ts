/**
 * The route a placed call follows (pure): the `number`'s (agent, parameters, barge-in, speech, transfer lists), with
 * the request's agent and parameters over it. The number is looked up where inbound calls are routed (the number
 * book: patchbay.yaml and `/v1/numbers`), so a number added at runtime lends its route too. Refusals are the API's
 * to show: NUMBER_UNKNOWN, AGENT_INVALID.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, NumberRouteConfig } from '../config.js';
import { RoutingError } from '../routing/index.js';
import { CallControlError, CallControlErrorCode, type PlaceCallRequest } from './control.js';
import { agentPlan } from './plan.js';

/** A number a placed call may name: its pattern as written, its route, its adapter agent's key when not the pattern. */
export interface PlacedNumber {
  readonly pattern: string;
  readonly route: NumberRouteConfig;
  readonly adapterKey?: string | undefined;
}

/** The number with this pattern's identity, whatever its spelling (the number book's `find`); may throw RoutingError for a malformed pattern. */
export interface NumberFinder {
  find(pattern: string): PlacedNumber | undefined;
}

/** `numbers:` as a finder by exact key (tests, and a gateway without a number book). */
export function fixedNumbers(numbers: Config['numbers']): NumberFinder {
  return {
    find: (pattern) => {
      const route = Object.hasOwn(numbers, pattern) ? numbers[pattern] : undefined;
      return route === undefined ? undefined : { pattern, route };
    },
  };
}

/** What a placed call's plan is resolved from: the route, the pattern it is recorded under, the adapter's key. */
export interface PlacedRoute {
  readonly route: NumberRouteConfig;
  /** The number's pattern as written ('' without a number). */
  readonly pattern: string;
  readonly adapterKey?: string | undefined;
}

export function placedPlan(numbers: NumberFinder, request: Partial<Pick<PlaceCallRequest, 'agent' | 'number' | 'parameters'>>): PlacedRoute {
  const found = request.number === undefined ? undefined : findNumber(numbers, request.number);
  if (request.number !== undefined && found === undefined) throw refuse('NumberUnknown', `no configured number '${request.number}'`);
  const numbered = found?.route;
  const agent = requestedAgent(request.agent, numbered);
  const parameters = { ...numbered?.parameters, ...request.parameters };
  const route: NumberRouteConfig = { ...(numbered ?? { agent, parameters }), agent, parameters };
  const pattern = found?.pattern ?? '';
  // The number's adapter agent runs under its key (a runtime entry's, or a reloaded one's): only for its own block.
  const adapterKey = found?.adapterKey !== undefined && isDeepStrictEqual(agent, numbered?.agent) ? found.adapterKey : undefined;
  const planned = agentPlan(route, pattern, adapterKey);
  if (planned.kind === 'unknown' || (planned.kind === 'url' && planned.url === '')) throw refuse('AgentInvalid', 'the agent is neither a built-in, a ws:// URL nor an adapter block');
  return { route, pattern, ...(adapterKey === undefined ? {} : { adapterKey }) };
}

/** `placedPlan`'s route over `numbers:` alone. */
export function placedRoute(numbers: Config['numbers'], request: Partial<Pick<PlaceCallRequest, 'agent' | 'number' | 'parameters'>>): NumberRouteConfig {
  return placedPlan(fixedNumbers(numbers), request).route;
}

function findNumber(numbers: NumberFinder, pattern: string): PlacedNumber | undefined {
  try {
    return numbers.find(pattern);
  } catch (err) {
    if (err instanceof RoutingError) return undefined; // not a valid pattern: no such number
    throw err;
  }
}

/**
 * The request's agent (a built-in name, a ws:// URL, `{ adapter: websocket, url }`), else the number's. Adapters
 * are built for the numbers naming them (at start-up, or when a runtime number is stored): another adapter block must be that of the `number` given.
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
