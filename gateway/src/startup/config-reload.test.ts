import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConfigError, parseConfig } from '../config.js';
import { reloadConfig } from './config-reload.js';

const logger = pino({ level: 'silent' });

describe('reloadConfig and the certificates', () => {
  it('reads the certificate files again on every SIGHUP, whether patchbay.yaml is valid, unchanged or broken', async () => {
    const running = parseConfig({});
    let reloads = 0;
    const target = { reloadNumbers: async () => [], setLogLevel: () => undefined, reloadCertificates: async () => (reloads++, true) };
    await reloadConfig({ load: () => running, running, target, logger });
    const broken = await reloadConfig({
      load: () => {
        throw new ConfigError(['sip.port: must be a number'], 'test');
      },
      running,
      target,
      logger,
    });
    expect(broken.ok).toBe(false);
    expect(reloads).toBe(2);
  });
});
