/**
 * Room names and participant identities from templates such as `patchbay-{callId}`. Only call identifiers may be
 * placed in them: LiveKit records room names and identities in its logs and traces without redaction, so phone
 * numbers stay out (they travel in the participant's attributes and metadata instead).
 */
import type { StartMessage } from '@patchbay/agents';

/** The placeholders a template may use. */
export const TEMPLATE_FIELDS = ['callId', 'streamId', 'direction'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type TemplateValues = Readonly<Record<TemplateField, string>>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

function isField(name: string): name is TemplateField {
  return (TEMPLATE_FIELDS as readonly string[]).includes(name);
}

/** Why `template` cannot be used, or undefined when it can. */
export function templateProblem(template: string): string | undefined {
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!isField(name)) return `unknown placeholder {${name}} (known: ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')})`;
  }
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{') || rest.includes('}')) return 'unbalanced { or }';
  return undefined;
}

/** Replaces every placeholder of a template that passed `templateProblem`. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (isField(name) ? values[name] : whole));
}

export function templateValues(start: StartMessage): TemplateValues {
  return { callId: start.callId, streamId: start.streamId, direction: start.direction };
}
