import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config.js';
import { reloadConfig } from './config-reload.js';

describe('SIGHUP and the TLS certificate', () => {
  it('reads the certificate files again on every reload, also when the configuration file is refused', async () => {
    const running = parseConfig({});
    let tlsReloads = 0;
    const target = { reloadNumbers: async () => [], setLogLevel: () => undefined, reloadTls: async () => void tlsReloads++ };
    const logger = pino({ level: 'silent' });
    await reloadConfig({ load: () => running, running, target, logger });
    const refused = await reloadConfig({ load: () => { throw new ConfigError(['sip.port: bad'], 'test'); }, running, target, logger });
    expect(refused.ok).toBe(false);
    expect(tlsReloads).toBe(2);
  });
});
