import { parseConfig } from '@patchbay/gateway';
import { describe, expect, it } from 'vitest';
import { gatewayConfig, type GatewayLaunch } from '../src/gateway-process.js';

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
