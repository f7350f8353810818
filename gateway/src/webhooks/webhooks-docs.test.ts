/** docs/webhooks.md documents every event type (with its status), attempt error and delivery status, and no other. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_ERRORS, DELIVERY_STATUS_NAMES, WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES } from './events.js';

const doc = readFileSync(new URL('../../../docs/webhooks.md', import.meta.url), 'utf8');
const rows = (first: RegExp): string[] => doc.split('\n').filter((l) => first.test(l)).map((l) => l.split('`')[1] ?? '');

describe('docs/webhooks.md', () => {
  it('has one row per event type, saying live or reserved, and no row for anything else', () => {
    const documented = rows(/^\| `[a-z]+\.[a-z]+` \|/);
    expect(documented).toEqual(WEBHOOK_EVENT_TYPES);
    for (const type of WEBHOOK_EVENT_TYPES) {
      const line = doc.split('\n').find((l) => l.startsWith(`| \`${type}\``));
      expect(line, type).toContain(`| ${WEBHOOK_EVENTS[type].status} |`);
    }
  });

  it('has one row per attempt error and names every delivery status', () => {
    expect(rows(/^\| `[a-z_]+` \| [A-Z]/)).toEqual(Object.keys(ATTEMPT_ERRORS));
    for (const s of DELIVERY_STATUS_NAMES) expect(doc).toContain(`\`${s}\``);
  });
});
