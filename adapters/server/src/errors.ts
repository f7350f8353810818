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

/** `['agents', '/sales', 'model']` → `agents."/sales".model`; `['x', 0]` → `x[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const name = String(segment);
    const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
    out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}
