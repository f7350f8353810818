/**
 * Adapters for tests, served through the same loader seam as the real registry: `echo` (the built-in echo agent)
 * and `greeter` (options with a schema, a secret from env, and behaviour a client can tell apart from echo).
 */
import { AdapterConfigError, AdapterErrorCode, defineAdapter, ENV_NAME_PATTERN, secretFromEnv, type AgentAdapter } from '@patchbay/adapter-kit';
import { echoAgent, type Agent } from '@patchbay/agents';
import { z } from 'zod';
import type { AdapterLoader } from '../src/registry.js';

const echo = defineAdapter({ name: 'echo', options: z.strictObject({}), create: () => echoAgent });

/** On start: `mark{name: greeting}`. On each caller digit: sends the digit back as a `dtmf` command. */
const greeter = defineAdapter({
  name: 'greeter',
  options: z.strictObject({
    greeting: z.string().min(1).max(64),
    repeat: z.int().min(1).max(3).default(1),
    apiKeyEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name'),
  }),
  create(options, context): Agent {
    secretFromEnv(context.env, options.apiKeyEnv, 'greeter');
    return {
      name: 'greeter',
      create(ctx) {
        for (let i = 0; i < options.repeat; i++) ctx.send({ type: 'mark', name: options.greeting });
        return {
          onAudio() {},
          onMessage(msg) {
            if (msg.type === 'dtmf') ctx.send({ type: 'dtmf', digits: msg.digit });
          },
          close() {},
        };
      },
    };
  },
});

const ADAPTERS: Readonly<Record<string, AgentAdapter>> = { echo: echo as AgentAdapter, greeter: greeter as AgentAdapter };

export const testLoader: AdapterLoader = async (name) => {
  const adapter = ADAPTERS[name];
  if (adapter === undefined) throw new AdapterConfigError(AdapterErrorCode.Unknown, `unknown adapter '${name}' (known: echo, greeter)`);
  return adapter;
};
