import { describe, expect, it } from 'vitest';
import { WebhookEndpoints } from './endpoints.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const hook = (url: string, secretEnv = 'HOOK_SECRET') => ({ webhooks: [{ url, secretEnv }] });

describe('WebhookEndpoints: the numbers’ endpoints follow the number book', () => {
  it('adds, changes and retires a number’s endpoints; a retired one takes no event but stays deliverable', () => {
    const endpoints = new WebhookEndpoints({ endpoints: [], env: { HOOK_SECRET: SECRET } });
    expect(endpoints.match('call.ended', '+15550100777')).toEqual([]);
    expect(endpoints.setNumbers([{ pattern: '+15550100777', route: hook('http://127.0.0.1:9/a') }])).toEqual([]);
    expect(endpoints.match('call.ended', '+1 555 010 0777').map((e) => [e.name, e.url, e.secret])).toEqual([['number:+15550100777', 'http://127.0.0.1:9/a', SECRET]]);
    endpoints.setNumbers([{ pattern: '+15550100777', route: hook('http://127.0.0.1:9/b') }]);
    expect(endpoints.all.map((e) => [e.name, e.url])).toEqual([['number:+15550100777', 'http://127.0.0.1:9/b']]);
    endpoints.setNumbers([{ pattern: '+15550100777', route: {} }]);
    expect(endpoints.match('call.ended', '+15550100777')).toEqual([]);
    expect(endpoints.active).toBe(0);
    expect(endpoints.get('number:+15550100777')?.url).toBe('http://127.0.0.1:9/b'); // queued deliveries still go out
  });

  it('leaves out, and reports, an endpoint whose secret is not usable in this environment', () => {
    const endpoints = new WebhookEndpoints({ endpoints: [], env: { HOOK_SECRET: SECRET, SHORT: 'whsec_AAAA' } });
    const problems = endpoints.setNumbers([
      { pattern: '+1555*', route: { webhooks: [{ url: 'http://127.0.0.1:9/a', secretEnv: 'MISSING' }, { url: 'http://127.0.0.1:9/b', secretEnv: 'SHORT' }, { url: 'http://127.0.0.1:9/c', secretEnv: 'HOOK_SECRET' }] } },
    ]);
    expect(problems).toEqual(['number:+1555*: environment variable MISSING is not set', expect.stringMatching(/^number:\+1555\*#2: SHORT must hold 24 to 64 bytes/)]);
    expect(endpoints.match('call.ringing', '+1555*').map((e) => e.name)).toEqual(['number:+1555*#3']);
  });
});
