/**
 * The `warm_transfer` tool every adapter offers its model (docs/forwarding.md §Warm transfer): its JSON-schema
 * parameters and the check of a call's arguments, one definition for all providers.
 */

/** Longest `summary` (the gateway's `consult.whisper` takes up to 4,096 characters). */
export const WARM_TRANSFER_MAX_SUMMARY = 1_000;

/** What the model is told the tool does (each adapter adds how to announce it). */
export const WARM_TRANSFER_DESCRIPTION =
  'Hand the caller to a person, introducing them first: the person is called while the caller hears hold music; when ' +
  'they answer they are told the summary (the caller does not hear it), then the caller is put through.';

/** The tool's parameters, for `targets` (the names of `transferTargets`: the model never sees the numbers). */
export function warmTransferParameters(targets: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      target: { type: 'string', enum: targets, description: 'Who to hand the caller to.' },
      summary: { type: 'string', maxLength: WARM_TRANSFER_MAX_SUMMARY, description: 'One or two sentences for the person: who is calling and what they need.' },
    },
    required: ['target', 'summary'],
    additionalProperties: false,
  };
}

/** A call's arguments checked against the allowed `targets` (name → number or SIP URI). */
export function parseWarmTransfer(
  args: Readonly<Record<string, unknown>>,
  targets: Readonly<Record<string, string>>,
): { ok: true; name: string; target: string; summary: string } | { ok: false; error: string } {
  const name = args['target'];
  const target = typeof name === 'string' && Object.hasOwn(targets, name) ? targets[name] : undefined;
  if (typeof name !== 'string' || target === undefined) return { ok: false, error: `target must be one of: ${Object.keys(targets).join(', ')}` };
  const summary = typeof args['summary'] === 'string' ? args['summary'].trim() : '';
  if (summary === '') return { ok: false, error: 'summary must say who is calling and why' };
  return { ok: true, name, target, summary: summary.slice(0, WARM_TRANSFER_MAX_SUMMARY) };
}
