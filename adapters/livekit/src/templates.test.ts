import { describe, expect, it } from 'vitest';
import { renderTemplate, templateProblem, templateValues } from './templates.js';
import { START } from './test-support/fake-context.js';

describe('room and identity templates', () => {
  const values = templateValues(START);

  it('fills every placeholder, however often it appears', () => {
    expect(renderTemplate('patchbay-{callId}', values)).toBe('patchbay-call-42');
    expect(renderTemplate('{direction}/{streamId}/{callId}-{callId}', values)).toBe('inbound/stream-7/call-42-call-42');
    expect(renderTemplate('front-desk', values)).toBe('front-desk');
  });

  it('refuses unknown placeholders (phone numbers included) and stray braces', () => {
    expect(templateProblem('patchbay-{callId}')).toBeUndefined();
    expect(templateProblem('room-{from}')).toBe('unknown placeholder {from} (known: {callId}, {streamId}, {direction})');
    expect(templateProblem('room-{}')).toMatch(/unknown placeholder \{\}/);
    expect(templateProblem('room-{callId')).toBe('unbalanced { or }');
    expect(templateProblem('room}')).toBe('unbalanced { or }');
  });
});
