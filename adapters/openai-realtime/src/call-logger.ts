/** The adapter's logger for one call: every line carries the call id (the AdapterLogger interface has no `child`). */
import type { AdapterLogger } from '@patchbay/adapter-kit';

export type CallLogger = AdapterLogger;

export function callLogger(logger: AdapterLogger, callId: string): CallLogger {
  return {
    debug: (obj, msg) => logger.debug({ callId, ...obj }, msg),
    info: (obj, msg) => logger.info({ callId, ...obj }, msg),
    warn: (obj, msg) => logger.warn({ callId, ...obj }, msg),
    error: (obj, msg) => logger.error({ callId, ...obj }, msg),
  };
}
