import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { agentKind, agentPlan, bridgedPlan, resolvePlan, type PlanInput } from './plan.js';

const input = (route: PlanInput['route'], extra: Partial<PlanInput> = {}): PlanInput => ({ direction: 'inbound', from: '+15550199999', to: '+15550100001', pattern: '*', route, ...extra });

describe('resolvePlan: every per-number override over its default', () => {
  const config = parseConfig({
    sip: { ringing: true, answerDelayMs: 300, retryAfterSeconds: 9 },
    media: { codecs: ['PCMU', 'PCMA'], bargeIn: 'agent', speech: { vadMode: 2, marginDb: 9, graceMs: 100 } },
    agents: { onFailure: 'reject', rejectStatus: 480 },
    transfer: { allow: ['+44'] },
    trunks: [{ name: 'carrier', allow: ['192.0.2.0/24'], codecs: ['G722'] }, { name: 'plain', allow: ['198.51.100.1'] }],
    numbers: { '*': { agent: 'demo' } },
  });
  const route = config.numbers['*'];
  if (!route) throw new Error('no route');

  it('takes the defaults when the number sets nothing', () => {
    const plan = resolvePlan(config, input(route));
    expect(plan).toMatchObject({
      direction: 'inbound',
      from: '+15550199999',
      to: '+15550100001',
      pattern: '*',
      trunk: undefined,
      agent: { kind: 'builtin', name: 'demo' },
      parameters: {},
      codecs: ['PCMU', 'PCMA'],
      ptimeMs: 20,
      bargeIn: 'agent',
      speech: { vadMode: 2, marginDb: 9, graceMs: 100 },
      onAgentFailure: 'reject',
      rejectStatus: 480,
      retryAfterSeconds: 9,
      ringing: true,
      answerDelayMs: 300,
    });
    expect(plan.transfer).toBe(config.transfer); // the same lists: one policy object for every such call
  });

  it("takes each of the number's own settings over the default", () => {
    const own = { ...route, ringing: false, answerDelayMs: 0, onAgentFailure: 'apology' as const, bargeIn: 'gateway' as const, speech: { marginDb: 3, confirm: 'silero' as const }, parameters: { lang: 'fr' }, transfer: { allow: ['+1555'], deny: [] } };
    const plan = resolvePlan(config, input(own));
    expect(plan).toMatchObject({ ringing: false, answerDelayMs: 0, onAgentFailure: 'apology', bargeIn: 'gateway', parameters: { lang: 'fr' } });
    expect(plan.speech).toEqual({ vadMode: 2, marginDb: 3, graceMs: 100, confirm: 'silero' }); // key by key
    expect(plan.transfer).toBe(own.transfer);
  });

  it("uses the trunk's codecs when it has some, else media.codecs", () => {
    expect(resolvePlan(config, input(route, { trunk: 'carrier' })).codecs).toEqual(['G722']);
    expect(resolvePlan(config, input(route, { trunk: 'plain' })).codecs).toEqual(['PCMU', 'PCMA']);
    expect(resolvePlan(config, input(route, { trunk: 'carrier' })).trunk).toBe('carrier');
  });

  it('failover: agents.failover with the number\'s keys over it; a standby for re-dials; none for a bridge', () => {
    expect(resolvePlan(config, input(route)).failover).toEqual({ redial: 1, earlyHangupMs: 2_000, silenceMs: 15_000 });
    const own = parseConfig({ numbers: { '+15550100009': { agent: 'wss://a.example/x', failover: { redial: 2, silenceS: 0, standby: 'wss://standby.example/agent' } } } }, {});
    const ownRoute = own.numbers['+15550100009'];
    if (ownRoute === undefined) throw new Error('no route');
    expect(resolvePlan(own, input(ownRoute)).failover).toEqual({ redial: 2, earlyHangupMs: 2_000, silenceMs: 0, standby: { kind: 'url', url: 'wss://standby.example/agent', protocol: 'patchbay' } });
    expect(bridgedPlan(resolvePlan(own, input(ownRoute)), 'peer').failover).toEqual({ redial: 0, earlyHangupMs: 0, silenceMs: 0 });
    expect(() => parseConfig({ numbers: { '+1': { agent: 'echo', failover: { standby: 'http://nope' } } } }, {})).toThrow(/standby/);
  });

  it('carries the direction it is asked for', () => {
    expect(resolvePlan(config, input(route, { direction: 'outbound' })).direction).toBe('outbound');
  });

  it('barge-in: echo and Twilio-protocol agents default to off, an explicit setting wins', () => {
    const echo = resolvePlan(config, input({ ...route, agent: 'echo' }));
    expect(echo.bargeIn).toBe('off');
    expect(resolvePlan(config, input({ ...route, agent: 'echo', bargeIn: 'gateway' })).bargeIn).toBe('gateway');
    const twilio = { ...route, agent: 'wss://bot.example/stream', protocol: 'twilio' as const };
    expect(resolvePlan(config, input(twilio)).bargeIn).toBe('off');
    expect(resolvePlan(config, input({ ...twilio, bargeIn: 'gateway' })).bargeIn).toBe('gateway');
    const block = { ...route, agent: { adapter: 'websocket', url: 'ws://bot.example', protocol: 'twilio' } };
    expect(resolvePlan(config, input(block)).bargeIn).toBe('off');
    expect(resolvePlan(config, input({ ...route, agent: 'wss://bot.example/v1' })).bargeIn).toBe('agent'); // protocol v1: the default
  });

  it('defaults are the schema defaults with an empty config', () => {
    const bare = parseConfig({});
    const r = bare.numbers['*'];
    if (!r) throw new Error('no default route');
    expect(resolvePlan(bare, input(r))).toMatchObject({ bargeIn: 'gateway', onAgentFailure: 'apology', rejectStatus: 503, ringing: false, answerDelayMs: 0, codecs: ['G722', 'PCMU', 'PCMA', 'opus'] });
  });

  it('is plain data (crosses to media workers by structured clone unchanged)', () => {
    const plan = resolvePlan(config, input({ ...route, speech: { marginDb: 3 } }));
    expect(structuredClone(plan)).toEqual(plan);
  });
});

describe('agentPlan and agentKind', () => {
  it.each([
    [{ agent: 'echo' }, { kind: 'builtin', name: 'echo' }, 'echo'],
    [{ agent: 'wss://bot.example/x?token=secret' }, { kind: 'url', url: 'wss://bot.example/x?token=secret', protocol: 'patchbay' }, 'websocket'],
    [{ agent: 'ws://bot.example', protocol: 'twilio' as const }, { kind: 'url', url: 'ws://bot.example', protocol: 'twilio' }, 'twilio'],
    [{ agent: { adapter: 'websocket', url: 'ws://x' } }, { kind: 'url', url: 'ws://x', protocol: 'patchbay' }, 'websocket'],
    [{ agent: { adapter: 'openai-realtime', model: 'm' } }, { kind: 'adapter', adapter: 'openai-realtime', pattern: '+1*' }, 'openai-realtime'],
    [{ agent: 'nonsense' }, { kind: 'unknown', name: 'nonsense' }, 'nonsense'],
  ])('%j', (route, plan, kind) => {
    const p = agentPlan(route, '+1*');
    expect(p).toEqual(plan);
    expect(agentKind(p)).toBe(kind);
  });
});

describe('resolvePlan: outbound calls', () => {
  const config = parseConfig(
    {
      media: { codecs: ['PCMU'] },
      agents: { onFailure: 'apology' },
      trunks: [
        { name: 'carrier', codecs: ['G722'], outbound: { proxy: { host: '192.0.2.1' }, codecs: ['PCMA'] } },
        { name: 'plain', codecs: ['G722'], outbound: { proxy: { host: '192.0.2.2' } } },
      ],
      numbers: { '*': { agent: 'demo' } },
    },
    {},
  );
  const route = config.numbers['*'];
  if (!route) throw new Error('no route');

  it("offers the trunk's outbound codecs, else the trunk's, and never answers with the apology", () => {
    const out = resolvePlan(config, input(route, { direction: 'outbound', trunk: 'carrier' }));
    expect(out.codecs).toEqual(['PCMA']);
    expect(out.onAgentFailure).toBe('reject');
    expect(resolvePlan(config, input(route, { direction: 'outbound', trunk: 'plain' })).codecs).toEqual(['G722']);
    const inbound = resolvePlan(config, input(route, { trunk: 'carrier' }));
    expect(inbound.codecs).toEqual(['G722']);
    expect(inbound.onAgentFailure).toBe('apology');
  });
});

describe('resolvePlan: SRTP', () => {
  const config = parseConfig(
    {
      media: { srtp: 'off', srtpSuites: ['AES_CM_128_HMAC_SHA1_80'] },
      trunks: [
        { name: 'secure', allow: ['192.0.2.1'], srtp: 'required', outbound: { proxy: { host: '192.0.2.1' } } },
        { name: 'plain', allow: ['192.0.2.2'] },
      ],
      numbers: { '*': { agent: 'demo' }, '+1555': { agent: 'echo', srtp: 'optional' } },
    },
    {},
  );
  const any = config.numbers['*'];
  const own = config.numbers['+1555'];
  if (!any || !own) throw new Error('no route');

  it("takes the number's policy, else its trunk's, else media.srtp; the suites from media.srtpSuites", () => {
    expect(resolvePlan(config, input(own, { trunk: 'secure' })).srtp).toEqual({ policy: 'optional', suites: ['AES_CM_128_HMAC_SHA1_80'] });
    expect(resolvePlan(config, input(any, { trunk: 'secure' })).srtp.policy).toBe('required');
    expect(resolvePlan(config, input(any, { trunk: 'secure', direction: 'outbound' })).srtp.policy).toBe('required');
    expect(resolvePlan(config, input(any, { trunk: 'plain' })).srtp.policy).toBe('off');
    expect(resolvePlan(config, input(any)).srtp.policy).toBe('off');
  });

  it('defaults to optional with every suite, GCM first', () => {
    const plan = resolvePlan(parseConfig({}), input(any));
    expect(plan.srtp).toEqual({ policy: 'optional', suites: ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] });
  });

  it('refuses an unknown policy or suite, naming it', () => {
    expect(() => parseConfig({ media: { srtp: 'mandatory' } })).toThrow(/media\.srtp/);
    expect(() => parseConfig({ media: { srtpSuites: ['AES_256_CM_HMAC_SHA1_80'] } })).toThrow(/media\.srtpSuites/);
    expect(() => parseConfig({ trunks: [{ name: 't', allow: ['192.0.2.1'], srtp: 'yes' }] })).toThrow(/trunks\.0\.srtp|trunks\[0\]\.srtp/);
  });
});
