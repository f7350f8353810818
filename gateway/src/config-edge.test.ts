import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';
import { SCANNER_USER_AGENTS } from './edge/index.js';

function issues(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('sip.edge, sip.unknownSources, sip.scannerUserAgents', () => {
  it('defaults: 50/s with a burst of 200, 60 s bans up to 1 h, 10,000 sources, loopback exempt; answer; the scanner table', () => {
    const { sip } = parseConfig({});
    expect(sip.edge).toEqual({ enabled: true, requestsPerSecond: 50, burst: 200, banSeconds: 60, maxBanSeconds: 3600, maxSources: 10_000, exempt: ['127.0.0.0/8', '::1'] });
    expect(sip.unknownSources).toBe('answer');
    expect(sip.scannerUserAgents).toEqual([...SCANNER_USER_AGENTS]);
  });

  it('takes its own values', () => {
    const { sip } = parseConfig({ sip: { edge: { requestsPerSecond: 5, exempt: ['10.0.0.0/8'] }, unknownSources: 'drop', scannerUserAgents: ['evil'] }, trunks: [{ name: 'c', allow: ['203.0.113.0/24'] }] });
    expect(sip.edge.requestsPerSecond).toBe(5);
    expect(sip.edge.exempt).toEqual(['10.0.0.0/8']);
    expect(sip.unknownSources).toBe('drop');
    expect(sip.scannerUserAgents).toEqual(['evil']);
  });

  it('lists every bad value', () => {
    const found = issues({ sip: { edge: { requestsPerSecond: 0, banSeconds: 600, maxBanSeconds: 60, exempt: ['10.0.0.0/33'], unknown: 1 }, unknownSources: 'ignore', scannerUserAgents: ['ab'] } });
    expect(found.join('\n')).toMatch(/sip\.edge\.requestsPerSecond/);
    expect(found.join('\n')).toMatch(/sip\.edge\.exempt\[0\]/);
    expect(found.join('\n')).toMatch(/sip\.edge.*unknown/);
    expect(found.join('\n')).toMatch(/sip\.unknownSources/);
    expect(found.join('\n')).toMatch(/sip\.scannerUserAgents\[0\]/);
  });

  it('refuses unknownSources: drop where it would cut off a trunk (no allow list) or everyone (no trunk allows)', () => {
    expect(issues({ sip: { unknownSources: 'drop' } }).join('\n')).toMatch(/sip\.unknownSources.*at least one trunk with an allow list/);
    const found = issues({
      sip: { unknownSources: 'drop' },
      trunks: [
        { name: 'carrier', allow: ['203.0.113.0/24'] },
        { name: 'pbx', auth: { username: 'pbx', password: 'a-long-enough-secret' } },
      ],
    });
    expect(found.join('\n')).toMatch(/trunks\[1\]\.allow.*required with sip\.unknownSources: drop/);
  });

  it('refuses maxBanSeconds below banSeconds', () => {
    expect(issues({ sip: { edge: { banSeconds: 600, maxBanSeconds: 60 } } }).join('\n')).toMatch(/maxBanSeconds.*>= banSeconds/);
  });
});
