import { parseConfig } from '@patchbay/gateway';
import { describe, expect, it } from 'vitest';
import { BENCH_TRUNK, BENCH_WEBHOOK_ENV, BENCH_WEBHOOK_EVENTS, gatewayConfig, OUTBOUND_PREFIX, type GatewayLaunch } from '../src/gateway-process.js';

const launch: GatewayLaunch = {
  repoRoot: '/repo', workDir: '/tmp/w', echoAgent: 'ws://127.0.0.1:9/echo', turnAgentUrl: 'ws://127.0.0.1:9/turn',
  talkerAgentUrl: 'ws://127.0.0.1:9/talker', maxCalls: 10, workers: 0, codec: 'PCMU',
};

describe('gatewayConfig', () => {
  it.each(['PCMU', 'PCMA', 'G722', 'opus'] as const)('is a config the gateway takes, offering exactly %s', (codec) => {
    const config = parseConfig(gatewayConfig({ ...launch, codec }, 5060, 8080, { portMin: 40000, portMax: 40100 }));
    expect(config.media.codecs).toEqual([codec]);
  });
});

describe('gatewayConfig with an outbound trunk', () => {
  it('is a config the gateway takes: the trunk points at the carrier port, allows the dialled prefix, with the run\'s limits', () => {
    const config = parseConfig(gatewayConfig({ ...launch, maxCalls: 100, outbound: { carrierPort: 45060, calls: 100, rate: 20 } }, 5060, 8080, { portMin: 40000, portMax: 40100 }));
    const trunk = config.trunks.find((t) => t.name === BENCH_TRUNK);
    expect(trunk?.outbound?.proxy).toEqual({ host: '127.0.0.1', port: 45060, transport: 'udp' });
    expect(trunk?.outbound?.allow.some((p) => `${OUTBOUND_PREFIX}000001`.startsWith(p))).toBe(true);
    expect(trunk?.outbound?.maxConcurrentCalls).toBeGreaterThanOrEqual(100);
    expect(trunk?.outbound?.callsPerSecond).toBeGreaterThanOrEqual(20);
    expect(config.api.rateLimit.callsPerMinute).toBeGreaterThanOrEqual(100 * 2);
    expect(trunk?.allow).toEqual(['127.0.0.1']);
  });

  it('has no trunk (every source admitted, as before) without outbound', () => {
    expect(parseConfig(gatewayConfig(launch, 5060, 8080, { portMin: 40000, portMax: 40100 })).trunks).toEqual([]);
  });
});

describe('gatewayConfig with --records', () => {
  const media = { portMin: 40000, portMax: 40100 };
  it('on: the store in the run\'s folder, one webhook endpoint for every call event type, 180 Ringing sent', () => {
    const config = parseConfig(gatewayConfig({ ...launch, records: { mode: 'on', dataDir: '/tmp/w/records-1', webhookUrl: 'http://127.0.0.1:9/hook' } }, 5060, 8080, media), BENCH_WEBHOOK_ENV);
    expect(config.database).toMatchObject({ enabled: true, dataDir: '/tmp/w/records-1' });
    expect(config.webhooks.endpoints).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:9/hook', events: [...BENCH_WEBHOOK_EVENTS] })]);
    expect(config.sip.ringing).toBe(true);
  });

  it('off: no store, no webhooks, the same 180 Ringing', () => {
    const config = parseConfig(gatewayConfig({ ...launch, records: { mode: 'off' } }, 5060, 8080, media));
    expect(config.database.enabled).toBe(false);
    expect(config.webhooks.endpoints).toEqual([]);
    expect(config.sip.ringing).toBe(true);
  });
});
