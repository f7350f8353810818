/** Secrets in the configuration: given inline or, better, by the name of an environment variable. */
import type { z } from 'zod';

export type Env = Record<string, string | undefined>;

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A secret given inline (`password: x`) or by environment variable name (`passwordEnv: NAME`). Exactly one must be
 * set, and a named variable must be set and non-empty. Reusable for API keys (`apiKey` / `apiKeyEnv`).
 */
export function resolveSecret(
  field: string,
  inline: string | undefined,
  envName: string | undefined,
  env: Env,
  ctx: z.RefinementCtx,
): string | undefined {
  const issue = (path: string, message: string): undefined => {
    ctx.addIssue({ code: 'custom', path: [path], message });
    return undefined;
  };
  if (inline !== undefined && envName !== undefined) {
    return issue(field, `set either ${field} or ${field}Env, not both`);
  }
  if (inline !== undefined) return inline;
  if (envName === undefined) return issue(field, `${field} or ${field}Env is required`);
  const value = env[envName];
  if (value === undefined || value === '') return issue(`${field}Env`, `environment variable ${envName} is not set`);
  return value;
}
