/** Errors adapters raise while they are being configured (start-up), with stable codes. */
export const AdapterErrorCode = {
  /** An environment variable named by the options is unset or empty. */
  SecretMissing: 'ADAPTER_SECRET_MISSING',
  /** The options do not validate. */
  BadOptions: 'ADAPTER_BAD_OPTIONS',
  /** No adapter by that name. */
  Unknown: 'ADAPTER_UNKNOWN',
} as const;
export type AdapterErrorCodeValue = (typeof AdapterErrorCode)[keyof typeof AdapterErrorCode];

export class AdapterConfigError extends Error {
  override readonly name = 'AdapterConfigError';
  constructor(
    readonly code: AdapterErrorCodeValue,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
