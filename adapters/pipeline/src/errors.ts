/** Errors of the pipeline adapter while a call runs, each with a stable code (configuration errors use the kit's). */
export const PipelineErrorCode = {
  /** The speech-to-text socket could not be opened, or dropped and could not be reopened. */
  SttUnavailable: 'PIPELINE_STT_UNAVAILABLE',
  /** The language model request failed (HTTP status, network, timeout, malformed stream). */
  LlmFailed: 'PIPELINE_LLM_FAILED',
  /** A text-to-speech request failed. */
  TtsFailed: 'PIPELINE_TTS_FAILED',
} as const;
export type PipelineErrorCodeValue = (typeof PipelineErrorCode)[keyof typeof PipelineErrorCode];

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  /** The provider's HTTP status, when the failure was one. */
  readonly status: number | undefined;

  constructor(
    readonly code: PipelineErrorCodeValue,
    message: string,
    options?: ErrorOptions & { status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }
}

/** True for the errors an aborted request ends with (our own cancellation, not a failure). */
export function isAbort(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'APIUserAbortError');
}

/** A short, log-safe description of a provider error (never a request body: it may hold the transcript). */
export function describeError(err: unknown): { message: string; status?: number } {
  if (err instanceof PipelineError) return err.status === undefined ? { message: err.message } : { message: err.message, status: err.status };
  if (err instanceof Error) {
    const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' ? { message: err.message, status } : { message: err.message };
  }
  return { message: String(err) };
}
