import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The gateway's JSON logger. Phone numbers in `from`/`to`/`number` fields are personal data and redacted unless
 * `redact: false` is asked for (a debugging switch, never a default).
 */
export function createLogger(options: { level?: LevelWithSilent; redact?: boolean } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: 'patchbay-gateway' },
    redact: options.redact === false ? [] : { paths: ['from', 'to', 'number', '*.from', '*.to', '*.number'], censor: '[redacted]' },
  });
}

/** A logger that writes nothing, for library defaults and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
