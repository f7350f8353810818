/**
 * Patchbay's JSON logger (pino). Phone numbers, transcripts and prompts are personal data: the fields that carry
 * them are replaced by "[redacted]" unless `redact: false` is asked for (a debugging switch, never a default).
 *
 * Redacted keys, at the top level of a log line and one object down (`{ call: { from } }`), including child
 * bindings: see REDACTED_KEYS. Deeper nesting is not covered, and neither is the message string: never interpolate
 * a number or a transcript into a message.
 *
 * When a recording OpenTelemetry span is active, each line carries its `trace_id` and `span_id` (so a log line
 * leads to the call's trace); without tracing this is one context lookup returning nothing.
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { Logger };

/** Keys whose values are personal data. */
export const REDACTED_KEYS = ['from', 'to', 'number', 'caller', 'callee', 'callerId', 'transcript', 'text', 'prompt', 'instructions'] as const;

export const REDACTED_PATHS: readonly string[] = [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`)];

export const REDACTION_CENSOR = '[redacted]';

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Redact personal data (default true). `false` is for debugging on a developer's machine only. */
  redact?: boolean;
  /** Fields on every line (e.g. `{ service: 'patchbay-gateway' }`); default pino's pid and hostname. */
  base?: Record<string, unknown>;
  /** Add `trace_id` / `span_id` of the active recording span (default true). */
  traceContext?: boolean;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const withTrace = options.traceContext ?? true;
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.base !== undefined ? { base: options.base } : {}),
      redact: options.redact === false ? [] : { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
      ...(withTrace ? { mixin: traceFields } : {}),
    },
    options.destination,
  );
}

function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span || !span.isRecording()) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
