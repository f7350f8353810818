/** Secrets come from environment variables named in the configuration, never from the configuration itself. */
import type { Env } from './adapter.js';
import { AdapterConfigError, AdapterErrorCode } from './errors.js';

/** A zod-friendly check for an environment variable name (`OPENAI_API_KEY`). */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The value of `env[name]`; throws AdapterConfigError naming the variable (never its value) when unset or empty. */
export function secretFromEnv(env: Env, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new AdapterConfigError(AdapterErrorCode.SecretMissing, `${what}: environment variable ${name} is not set`);
  }
  return value;
}
