/**
 * One way to report configuration problems, for every Patchbay configuration (the gateway's `patchbay.yaml`, the
 * adapter server's file, adapter options): one line per problem, `path: message`, with paths written as a reader
 * would look for them in YAML.
 */
import type { z } from 'zod';

/** `['numbers', '+1555', 'agent']` → `numbers."+1555".agent`; `['trunks', 0, 'allow']` → `trunks[0].allow`. */
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

/** A zod issue as report lines (an unknown-keys issue becomes one line per key). */
export function formatIssue(issue: z.core.$ZodIssue): string[] {
  const at = (extra: PropertyKey[]): string => formatPath([...issue.path, ...extra]);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${at([key])}: unknown key (check the spelling)`);
    case 'invalid_key':
      return issue.issues.map((inner) => `${at([])}: ${inner.message}`);
    default:
      return [`${at([])}: ${issue.message}`];
  }
}
