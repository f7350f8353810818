/** Placeholder until the adapter lands: refuses at start-up with a clear error. */
import { AdapterConfigError, AdapterErrorCode, defineAdapter } from '@patchbay/adapter-kit';
import { z } from 'zod';

export const adapter = defineAdapter({
  name: 'openai-realtime',
  options: z.looseObject({}),
  create() {
    throw new AdapterConfigError(AdapterErrorCode.Unknown, 'adapter openai-realtime is not implemented yet');
  },
});
