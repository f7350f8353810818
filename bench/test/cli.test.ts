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

  it('takes --codec PCMU, PCMA, G722 or opus (any case, canonical spelling out; default PCMU)', () => {
    expect(parseCli([], '/r').codec).toBe('PCMU');
    for (const codec of ['PCMU', 'PCMA', 'G722', 'opus'] as const) expect(parseCli(['--codec', codec], '/r').codec).toBe(codec);
    expect(parseCli(['--codec=g722'], '/r').codec).toBe('G722');
    expect(parseCli(['--codec', 'OPUS'], '/r').codec).toBe('opus');
    expect(() => parseCli(['--codec', 'G729'], '/r')).toThrow(/--codec must be PCMU, PCMA, G722, opus, got 'G729'/);
    expect(() => parseCli(['--codec', ''], '/r')).toThrow(CliError);
  });

  it('refuses unknown flags, stray words and bad numbers with a CliError', () => {
    expect(() => parseCli(['--mode', 'fixed'], '/r')).toThrow(CliError);
    expect(() => parseCli(['default'], '/r')).toThrow(/unexpected argument/);
    expect(() => parseCli(['--calls', '0'], '/r')).toThrow(/--calls must be a number/);
  });

  it('takes --runtimes as distinct Node majors (a fixed run named "runtimes"), not with --ramp', () => {
    expect(parseCli(['--runtimes', '20,22,24'], '/r')).toMatchObject({ runtimes: [20, 22, 24], name: 'runtimes', mode: 'fixed' });
    expect(parseCli(['--runtimes=24', '--duration', '10'], '/r')).toMatchObject({ runtimes: [24], durationS: 10 });
    expect(parseCli([], '/r').runtimes).toBeUndefined();
    expect(() => parseCli(['--runtimes', '22,22'], '/r')).toThrow(/distinct Node major versions/);
    expect(() => parseCli(['--runtimes', '22.1'], '/r')).toThrow(CliError);
    expect(() => parseCli(['--runtimes', '22', '--ramp'], '/r')).toThrow(/does not combine with --ramp/);
  });
});

describe('parseCli --direction', () => {
  it('defaults to inbound (name "load"); outbound and both name the run after the direction', () => {
    expect(parseCli([], '/r')).toMatchObject({ direction: 'inbound', name: 'load' });
    expect(parseCli(['--direction', 'outbound'], '/r')).toMatchObject({ direction: 'outbound', name: 'load-outbound' });
    expect(parseCli(['--direction=both', '--name', 'x'], '/r')).toMatchObject({ direction: 'both', name: 'x' });
  });

  it('refuses another direction, and a ramp in any direction but inbound', () => {
    expect(() => parseCli(['--direction', 'sideways'], '/r')).toThrow(/--direction must be inbound, outbound, both/);
    expect(() => parseCli(['--ramp', '--direction', 'outbound'], '/r')).toThrow(CliError);
  });
});
