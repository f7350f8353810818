import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from './node-version.js';

describe('nodeVersionProblem', () => {
  it('accepts 22.16+ and 24+', () => {
    for (const v of ['v22.16.0', 'v22.23.5', 'v24.0.0', 'v24.22.3', 'v26.1.0']) expect(nodeVersionProblem(v), v).toBeUndefined();
  });

  it('refuses older lines and 23, naming what to install', () => {
    for (const v of ['v20.20.2', 'v22.15.1', 'v22.14.0', 'v22.0.0', 'v23.11.0', 'v18.20.8']) {
      const problem = nodeVersionProblem(v);
      expect(problem, v).toContain(`Node ${v} is not supported`);
      expect(problem).toContain('Node 24 LTS');
    }
  });

  it('refuses what it cannot read', () => {
    expect(nodeVersionProblem('garbage')).toContain('cannot read');
  });
});
