import { describe, expect, it } from 'vitest';
import { CliError, parseCli } from '../src/cli.js';

describe('parseCli', () => {
  it('defaults to a fixed run of 100 calls named "load" with the floor and the micro-benchmarks', () => {
    const o = parseCli([], '/repo/bench/results', '/somewhere');
    expect(o).toMatchObject({ name: 'load', calls: 100, mode: 'fixed', floor: true, micro: true, outDir: '/repo/bench/results' });
  });

  it('takes --name (both spellings) and a relative --out from the directory npm was run in', () => {
    expect(parseCli(['--name', 'nightly'], '/r').name).toBe('nightly');
    expect(parseCli(['--name=nightly 2'], '/r').name).toBe('nightly 2');
    expect(parseCli(['--out', 'tmp/x'], '/r', '/home/me').outDir).toBe('/home/me/tmp/x');
    expect(parseCli(['--out', '/abs'], '/r', '/home/me').outDir).toBe('/abs');
  });

  it('switches the ramp, floor and micro-benchmarks by flag', () => {
    expect(parseCli(['--ramp', '--no-floor', '--no-micro'], '/r')).toMatchObject({ mode: 'ramp', name: 'ramp', calls: 500, floor: false, micro: false });
  });

  it('takes --workers as a count or auto (default 0: media on the main loop)', () => {
    expect(parseCli([], '/r').workers).toBe(0);
    expect(parseCli(['--workers', '2'], '/r').workers).toBe(2);
    expect(parseCli(['--workers=auto'], '/r').workers).toBe('auto');
    expect(() => parseCli(['--workers', '1.5'], '/r')).toThrow(/--workers must be auto or an integer/);
    expect(() => parseCli(['--workers', 'many'], '/r')).toThrow(CliError);
  });

  it('refuses unknown flags, stray words and bad numbers with a CliError', () => {
    expect(() => parseCli(['--mode', 'fixed'], '/r')).toThrow(CliError);
    expect(() => parseCli(['default'], '/r')).toThrow(/unexpected argument/);
    expect(() => parseCli(['--calls', '0'], '/r')).toThrow(/--calls must be a number/);
  });
});
