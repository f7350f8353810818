import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { CallControlError } from './control.js';
import { NumberBook } from '../numbers/number-book.js';
import { placedPlan, placedRoute } from './outbound-route.js';

const config = parseConfig(
  {
    numbers: {
      reminders: { agent: 'demo', bargeIn: 'off', parameters: { campaign: 'flu', lang: 'en' } },
      realtime: { agent: { adapter: 'openai-realtime', model: 'gpt-realtime', apiKeyEnv: 'OPENAI_API_KEY' } },
    },
  },
  {},
);

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof CallControlError ? err.code : 'other';
  }
  return undefined;
}

describe('placedRoute: the route a placed call follows', () => {
  it("lends the number's route, with the request's agent and parameters over it", () => {
    expect(placedRoute(config.numbers, { number: 'reminders' })).toMatchObject({ agent: 'demo', bargeIn: 'off', parameters: { campaign: 'flu', lang: 'en' } });
    const over = placedRoute(config.numbers, { number: 'reminders', agent: 'echo', parameters: { lang: 'fr' } });
    expect(over).toMatchObject({ agent: 'echo', bargeIn: 'off', parameters: { campaign: 'flu', lang: 'fr' } });
  });

  it('takes a built-in, a ws:// URL or a websocket block without a number', () => {
    expect(placedRoute(config.numbers, { agent: 'echo' })).toEqual({ agent: 'echo', parameters: {} });
    expect(placedRoute(config.numbers, { agent: 'wss://bot.example/agent' }).agent).toBe('wss://bot.example/agent');
    expect(placedRoute(config.numbers, { agent: { adapter: 'websocket', url: 'ws://127.0.0.1:9/a' } }).agent).toEqual({ adapter: 'websocket', url: 'ws://127.0.0.1:9/a' });
  });

  it("takes an adapter block only as the number's own (adapters are built at start-up)", () => {
    const block = { adapter: 'openai-realtime', model: 'gpt-realtime', apiKeyEnv: 'OPENAI_API_KEY' };
    expect(placedRoute(config.numbers, { number: 'realtime', agent: block }).agent).toEqual(block);
    expect(code(() => placedRoute(config.numbers, { agent: block }))).toBe('AGENT_INVALID');
    expect(code(() => placedRoute(config.numbers, { number: 'realtime', agent: { ...block, model: 'other' } }))).toBe('AGENT_INVALID');
  });

  it('refuses an unknown number, a missing agent, and a name that is no agent', () => {
    expect(code(() => placedRoute(config.numbers, { number: 'nope', agent: 'echo' }))).toBe('NUMBER_UNKNOWN');
    expect(code(() => placedRoute(config.numbers, {}))).toBe('AGENT_INVALID');
    expect(code(() => placedRoute(config.numbers, { agent: 'alice' }))).toBe('AGENT_INVALID');
    expect(code(() => placedRoute(config.numbers, { agent: 42 }))).toBe('AGENT_INVALID');
  });

  it('finds a number in the number book: a runtime entry, in any spelling, with its adapter key for its own block only', () => {
    const block = { adapter: 'openai-realtime', model: 'gpt-realtime', apiKeyEnv: 'OPENAI_API_KEY' };
    const book = new NumberBook({});
    book.replace(
      [{ pattern: 'reminders', route: config.numbers['reminders'] ?? { agent: 'demo', parameters: {} }, source: 'config' }],
      [{ pattern: '+15550100777', route: { agent: block, parameters: { tier: 'gold' } }, source: 'api', adapterKey: 'openai-realtime#0123456789abcdef' }],
    );
    expect(placedPlan(book, { number: '+1 555 010 0777' })).toEqual({
      route: { agent: block, parameters: { tier: 'gold' } },
      pattern: '+15550100777',
      adapterKey: 'openai-realtime#0123456789abcdef',
    });
    const echo = placedPlan(book, { number: '+15550100777', agent: 'echo' });
    expect(echo).toEqual({ route: { agent: 'echo', parameters: { tier: 'gold' } }, pattern: '+15550100777' });
    expect(placedPlan(book, { number: 'reminders' })).toMatchObject({ pattern: 'reminders', route: { agent: 'demo', bargeIn: 'off' } });
    expect(code(() => placedPlan(book, { number: '+15550100778', agent: 'echo' }))).toBe('NUMBER_UNKNOWN');
    expect(code(() => placedPlan(book, { number: '+1*5', agent: 'echo' }))).toBe('NUMBER_UNKNOWN'); // not even a pattern
  });
});
