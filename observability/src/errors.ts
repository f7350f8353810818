/** Stable codes for observability failures; callers switch on `code`, never on the message. */
export type ObservabilityErrorCode =
  /** An OTEL_* variable has a value we cannot honour; `issues` lists every one found. */
  | 'OBS_TELEMETRY_CONFIG'
  /** `startTelemetry` was called while an earlier enabled Telemetry has not been shut down. */
  | 'OBS_TELEMETRY_ACTIVE'
  /** A metrics source (hop histograms, gateway snapshot) threw or returned something unusable. */
  | 'OBS_METRICS_SOURCE'
  /** A log-bucket histogram state does not have the gateway's layout (162 buckets). */
  | 'OBS_HISTOGRAM_SHAPE';

export class ObservabilityError extends Error {
  override readonly name = 'ObservabilityError';
  readonly code: ObservabilityErrorCode;
  /** Every problem found (configuration errors are reported together, not one per start-up). */
  readonly issues: readonly string[];

  constructor(code: ObservabilityErrorCode, message: string, options?: { cause?: unknown; issues?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options?.issues ?? [];
  }
}
