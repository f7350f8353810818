import { describe, expect, it } from 'vitest';

import { createProgress, renderProgressLine, type ProgressStream } from '../src/report/progress.js';

function sink(isTTY: boolean, columns = 80): ProgressStream & { out: string } {
  return {
    isTTY,
    columns,
    out: '',
    write(chunk: string): boolean {
      this.out += chunk;
      return true;
    },
  };
}

describe('createProgress', () => {
  it('prints nothing at all when the stream is not a terminal', () => {
    const s = sink(false);
    const p = createProgress(100, 'calls', { stream: s });
    for (let i = 0; i <= 100; i++) p.update(i, `call ${i}`);
    p.done();
    expect(s.out).toBe('');
  });

  it('treats a stream with no isTTY (a pipe or file) as not a terminal', () => {
    const s = { out: '', write(c: string): boolean { this.out += c; return true; } };
    const p = createProgress(10, 'x', { stream: s });
    p.update(5);
    p.done();
    expect(s.out).toBe('');
  });

  it('prints one plain line per 10 % when asked, without control characters', () => {
    const s = sink(false);
    const p = createProgress(200, 'calls', { stream: s, pipedSteps: true });
    for (let i = 0; i <= 200; i++) p.update(i);
    p.done();
    const lines = s.out.trimEnd().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('calls: 0% (0/200)');
    expect(lines[5]).toBe('calls: 50% (100/200)');
    expect(lines[10]).toBe('calls: 100% (200/200)');
    expect(s.out).not.toMatch(/[\r\u001b]/);
  });

  it('redraws one line in place on a terminal, only when it changes, and ends it once', () => {
    const s = sink(true);
    const p = createProgress(4, 'ramp', { stream: s });
    p.update(1, '25 calls');
    p.update(1, '25 calls');
    p.update(2, '50 calls');
    p.done();
    p.done();
    p.update(3);
    const frames = s.out.split('\r').filter((f) => f !== '');
    expect(frames).toHaveLength(3);
    expect(frames[0]).toContain(' 25% 1/4 25 calls');
    expect(frames[2]).toContain('100% 4/4 50 calls');
    expect(s.out.endsWith('\u001b[K\n')).toBe(true);
    expect(s.out.split('\n')).toHaveLength(2);
  });
});

describe('renderProgressLine', () => {
  it('fills the bar in proportion and never exceeds the terminal width', () => {
    expect(renderProgressLine(15, 30, 'calls', 80)).toBe(`calls [${'█'.repeat(15)}${'░'.repeat(15)}]  50% 15/30`);
    const narrow = renderProgressLine(1, 3, 'a long label for a narrow terminal', 40, 'with a note');
    expect(narrow.length).toBeLessThanOrEqual(39);
    expect(narrow.endsWith('…')).toBe(true);
  });

  it('clamps odd input', () => {
    expect(renderProgressLine(-5, 10, 'x', 80)).toContain('  0% 0/10');
    expect(renderProgressLine(50, 10, 'x', 80)).toContain('100% 10/10');
    expect(renderProgressLine(0, 0, 'x', 80)).toContain('100% 0/0');
  });
});
