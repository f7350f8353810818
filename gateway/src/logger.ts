/**
 * The gateway's JSON logger: the observability package's (pino, personal data redacted unless `redact: false`,
 * each line tagged with the active span's trace id), with the gateway's service name.
 */
import { createLogger as createPatchbayLogger, type Logger } from '@patchbay/observability';
import { pino, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Phone numbers, transcripts and prompts (`from`, `to`, `number`, `transcript`, … fields) are personal data and
 * redacted unless `redact: false` is asked for (a debugging switch, never a default).
 */
export function createLogger(options: { level?: LevelWithSilent; redact?: boolean } = {}): Logger {
  return createPatchbayLogger({
    level: options.level ?? 'info',
    base: { service: 'patchbay-gateway' },
    ...(options.redact === undefined ? {} : { redact: options.redact }),
  });
}

/** A logger that writes nothing, for library defaults and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
