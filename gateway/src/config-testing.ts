/** Test support for the configuration: the issues a raw config is refused with. */
import { ConfigError, parseConfig } from './config.js';

/** Every issue `parseConfig` refuses `raw` with (`path: message` lines); throws if it is accepted. */
export function configIssues(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
