import { TokenVerifier } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { createJoinToken, type JoinTokenRequest } from './token.js';

const KEY = 'APItestkey';
const SECRET = 'test-secret-that-is-long-enough-for-hs256';

const request: JoinTokenRequest = {
  apiKey: KEY,
  apiSecret: SECRET,
  room: 'patchbay-call-42',
  identity: 'sip-call-42',
  name: 'Phone caller',
  kind: 'sip',
  metadata: '{"callId":"call-42"}',
  attributes: { 'sip.phoneNumber': '+15550111' },
  ttlS: 600,
};

describe('createJoinToken', () => {
  it('grants joining exactly the call room as the call identity, with name, kind, attributes and metadata', async () => {
    const claims = await new TokenVerifier(KEY, SECRET).verify(await createJoinToken(request));
    expect(claims.sub).toBe('sip-call-42');
    expect(claims.iss).toBe(KEY);
    expect(claims.video).toEqual({ room: 'patchbay-call-42', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true });
    expect(claims.name).toBe('Phone caller');
    expect(claims.kind).toBe('sip');
    expect(claims.attributes).toEqual({ 'sip.phoneNumber': '+15550111' });
    expect(claims.metadata).toBe('{"callId":"call-42"}');
    expect(claims.roomConfig).toBeUndefined();
    const now = Math.floor(Date.now() / 1000);
    expect(claims.exp).toBeGreaterThan(now + 500);
    expect(claims.exp).toBeLessThanOrEqual(now + 601);
  });

  it('dispatches the named agent with the call as job metadata', async () => {
    const jwt = await createJoinToken({ ...request, agentName: 'phone-agent', agentMetadata: '{"callId":"call-42"}' });
    const claims = await new TokenVerifier(KEY, SECRET).verify(jwt);
    expect(claims.roomConfig).toMatchObject({ agents: [{ agentName: 'phone-agent', metadata: '{"callId":"call-42"}' }] });
  });

  it('is refused by a verifier holding another secret', async () => {
    const jwt = await createJoinToken(request);
    await expect(new TokenVerifier(KEY, 'another-secret-another-secret-another').verify(jwt)).rejects.toThrow();
  });
});
