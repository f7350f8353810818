/** Calls for unit tests: a plan resolved from a config as admission would, and a Call around it. */
import { parseConfig, type Config, type NumberRouteConfig } from '../config.js';
import { newCall, type Call } from './call.js';
import { resolvePlan, type CallPlan, type PlanInput } from './plan.js';

/** The plan of a call to `pattern` in `config` (default: a config with `numbers: { '*': { agent: 'echo' } }`). */
export function testPlan(options: { config?: Config; pattern?: string; route?: Partial<NumberRouteConfig>; input?: Partial<PlanInput> } = {}): CallPlan {
  const config = options.config ?? parseConfig({ numbers: { '*': { agent: 'echo' } } });
  const pattern = options.pattern ?? '*';
  const base = config.numbers[pattern];
  if (!base) throw new Error(`no route ${pattern}`);
  const route = { ...base, ...options.route };
  return resolvePlan(config, { direction: 'inbound', from: '+15550199999', to: '+15550100001', pattern, route, ...options.input });
}

export function testCall(overrides: Partial<Call> = {}, plan: CallPlan = testPlan()): Call {
  const id = overrides.id ?? 'c0ffee00-0000-4000-8000-000000000001';
  return {
    ...newCall({ id, sipCallId: `${id}@host`, localTag: 'tag', key: id, plan, remote: { transport: 'udp', address: '127.0.0.1', port: 5062 } }),
    ...overrides,
  };
}
