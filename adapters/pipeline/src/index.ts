/** Placeholder until the adapter lands: refuses at start-up with a clear error. */
import { AdapterConfigError, AdapterErrorCode, defineAdapter } from '@patchbay/adapter-kit';
import { z } from 'zod';

export const adapter = defineAdapter({
  name: 'pipeline',
  options: z.looseObject({}),
  create() {
    throw new AdapterConfigError(AdapterErrorCode.Unknown, 'adapter pipeline is not implemented yet');
  },
});
