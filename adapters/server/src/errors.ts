/** The adapter server's configuration error: every problem at once, one line each, with its path. */
export class AdapterServerConfigError extends Error {
  override readonly name = 'AdapterServerConfigError';
  readonly code = 'ADAPTER_SERVER_CONFIG_INVALID';

  constructor(
    /** One line per problem, `path: message` (`agents."/sales".model: ...`). */
    readonly issues: readonly string[],
    /** Where the configuration came from: a file path, or a description. */
    readonly source: string,
    options?: ErrorOptions,
  ) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
    super(`Invalid adapter server configuration (${source}), ${count}:\n${issues.map((i) => `  ${i}`).join('\n')}`, options);
  }
}
