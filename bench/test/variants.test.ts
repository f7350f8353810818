/**
 * `--barge-in default|off|both`, `--workers 1,2` and `--pin`: flag parsing, the echo number's route in the gateway's
 * config, the bench echo agent's answer to `interrupted`, the taskset checks, and the comparison table.
 */
import type { AgentContext } from '@patchbay/agents';
import { AUDIO_FORMAT, type AgentMessage } from '@patchbay/agents';
import { parseConfig } from '@patchbay/gateway';
import { describe, expect, it } from 'vitest';
import { benchEchoAgent } from '../src/agents/echo-agent.js';
import { parseCli } from '../src/cli.js';
import { BARGE_IN_NUMBER, ECHO_NUMBER, echoRoute, gatewayConfig, TURN_NUMBER, type GatewayLaunch } from '../src/gateway-process.js';
import { PinError, pinProcess, requireTaskset, TASKSET_INSTALL } from '../src/proc/pin.js';
import { benchCommand } from '../src/report/format.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { VariantFigures } from '../src/report/types.js';
import { variantRatio, variantsSection } from '../src/report/variants.js';
import { comparesVariants, echoInterruptions, variantOrder } from '../src/variants-run.js';
import { dist, fixture, NOT_MEASURED } from './report-fixture.js';

describe('--barge-in, --workers N,M, --pin', () => {
  it('defaults to the echo number\'s default barge-in, one worker count, unpinned', () => {
    expect(parseCli([], '/r')).toMatchObject({ bargeIn: 'default', workerCounts: [0], workers: 0, pin: false, name: 'load' });
  });

  it('parses default|off|both and names a comparison run', () => {
    expect(parseCli(['--barge-in', 'off'], '/r')).toMatchObject({ bargeIn: 'off', name: 'load' });
    expect(parseCli(['--barge-in=both'], '/r')).toMatchObject({ bargeIn: 'both', name: 'barge-in' });
    expect(() => parseCli(['--barge-in', 'agent'], '/r')).toThrow(/--barge-in must be default, off, both, got 'agent'/);
  });

  it('takes --workers as a list: one run per count, the first is `workers`', () => {
    expect(parseCli(['--workers', '1,2'], '/r')).toMatchObject({ workerCounts: [1, 2], workers: 1, name: 'workers-1-2' });
    expect(parseCli(['--workers', '1,auto', '--barge-in', 'both'], '/r')).toMatchObject({ workerCounts: [1, 'auto'], name: 'barge-in-workers-1-auto' });
    expect(() => parseCli(['--workers', '1,1'], '/r')).toThrow(/lists a count twice/);
    expect(() => parseCli(['--workers', '1,'], '/r')).toThrow(/--workers must be/);
    expect(() => parseCli(['--workers', '1,65'], '/r')).toThrow(/--workers must be/);
  });

  it('takes --pin as a flag, with every mode but --runtimes', () => {
    expect(parseCli(['--pin'], '/r').pin).toBe(true);
    expect(parseCli(['--pin', '--ramp'], '/r')).toMatchObject({ pin: true, mode: 'ramp' });
    expect(() => parseCli(['--pin', '--runtimes', '24'], '/r')).toThrow(/--runtimes runs the default configuration unpinned/);
  });

  it('refuses a comparison with the modes that run their own comparison', () => {
    for (const other of [['--ramp'], ['--direction', 'both'], ['--records', 'off'], ['--srtp', 'gcm'], ['--runtimes', '24']]) {
      expect(() => parseCli(['--barge-in', 'both', ...other], '/r')).toThrow(/compare fixed inbound runs/);
      expect(() => parseCli(['--workers', '1,2', ...other], '/r')).toThrow(/compare fixed inbound runs/);
    }
    // One variant is no comparison: it combines like before.
    expect(parseCli(['--barge-in', 'off', '--ramp'], '/r')).toMatchObject({ bargeIn: 'off', mode: 'ramp' });
  });

  it('orders the variants: each worker count in turn, each barge-in mode within it', () => {
    expect(variantOrder('both', [1, 2])).toEqual([
      { bargeIn: 'default', workers: 1 }, { bargeIn: 'off', workers: 1 }, { bargeIn: 'default', workers: 2 }, { bargeIn: 'off', workers: 2 },
    ]);
    expect(variantOrder('off', [0])).toEqual([{ bargeIn: 'off', workers: 0 }]);
    expect(comparesVariants('default', [0])).toBe(false);
    expect(comparesVariants('off', [1, 2])).toBe(true);
  });
});

describe('the echo number\'s route', () => {
  const launch: GatewayLaunch = {
    repoRoot: '/repo', workDir: '/tmp/w', echoAgent: 'ws://127.0.0.1:9/echo', turnAgentUrl: 'ws://127.0.0.1:9/turn',
    talkerAgentUrl: 'ws://127.0.0.1:9/talker', maxCalls: 10, workers: 0, codec: 'PCMU',
  };
  const media = { portMin: 40000, portMax: 40100 };

  it('default: no bargeIn on the echo number, so media.bargeIn (gateway) applies as on a real number', () => {
    const config = parseConfig(gatewayConfig(launch, 5060, 8080, media));
    expect(config.numbers[ECHO_NUMBER]?.bargeIn).toBeUndefined();
    expect(config.media.bargeIn).toBe('gateway');
    expect(parseConfig(gatewayConfig({ ...launch, echoBargeIn: 'default' }, 5060, 8080, media)).numbers[ECHO_NUMBER]?.bargeIn).toBeUndefined();
  });

  it('off: bargeIn off on the echo number alone; the turn and talker numbers keep the detector', () => {
    const config = parseConfig(gatewayConfig({ ...launch, echoBargeIn: 'off' }, 5060, 8080, media));
    expect(config.numbers[ECHO_NUMBER]?.bargeIn).toBe('off');
    expect(config.numbers[TURN_NUMBER]?.bargeIn).toBeUndefined();
    expect(config.numbers[BARGE_IN_NUMBER]?.bargeIn).toBe('gateway');
  });

  it('the built-in echo (which the gateway defaults to off) gets gateway written out under default', () => {
    expect(echoRoute('echo')).toEqual({ agent: 'echo', bargeIn: 'gateway' });
    expect(echoRoute('echo', 'off')).toEqual({ agent: 'echo', bargeIn: 'off' });
    expect(echoRoute('ws://x/echo')).toEqual({ agent: 'ws://x/echo' });
  });
});

describe('the bench echo agent', () => {
  it('echoes every frame as a copy, and answers interrupted with clear (nothing else)', () => {
    const sent: Int16Array[] = [];
    const messages: AgentMessage[] = [];
    const abort = new AbortController();
    const ctx: AgentContext = {
      start: { type: 'start', version: 1, callId: 'c', streamId: 's', from: '', to: '', direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT },
      signal: abort.signal,
      sendAudio: (pcm) => sent.push(pcm),
      send: (m) => messages.push(m),
    };
    const session = benchEchoAgent.create(ctx);
    const frame = new Int16Array(480).fill(321);
    session.onAudio(frame);
    frame.fill(0);
    expect(sent[0]?.every((s) => s === 321)).toBe(true);
    session.onMessage({ type: 'speech_started', atMs: 20 });
    expect(messages).toEqual([]);
    session.onMessage({ type: 'interrupted', playedMs: 100, droppedMs: 20, itemPlayedMs: 100, marks: [] });
    expect(messages).toEqual([{ type: 'clear', turnId: 'echo-1' }]);
    abort.abort();
    session.onMessage({ type: 'interrupted', playedMs: 0, droppedMs: 0, itemPlayedMs: 0, marks: [] });
    session.onAudio(frame);
    expect(messages).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });
});

describe('--pin checks', () => {
  type Run = NonNullable<Parameters<typeof requireTaskset>[1]>;
  const ran = (r: { status: number | null; error?: Error; stderr?: string }): Run => (() => ({ pid: 1, output: [], stdout: '', stderr: r.stderr ?? '', signal: null, ...r })) as unknown as Run;

  it('names the install line when taskset is missing, and refuses one CPU', () => {
    const missing = Object.assign(new Error('spawnSync taskset ENOENT'), { code: 'ENOENT' });
    expect(() => requireTaskset(2, ran({ status: null, error: missing }))).toThrow(TASKSET_INSTALL);
    expect(() => requireTaskset(1, ran({ status: 0 }))).toThrow(/needs two CPUs/);
    expect(() => requireTaskset(2, ran({ status: 0 }))).not.toThrow();
    try {
      requireTaskset(2, ran({ status: null, error: missing }));
    } catch (err) {
      expect(err).toBeInstanceOf(PinError);
      expect((err as PinError).code).toBe('BENCH_PIN_UNAVAILABLE');
    }
  });

  it('moves a process with the real taskset (this machine has it: util-linux)', () => {
    requireTaskset();
    expect(() => pinProcess(0, process.pid)).not.toThrow();
    expect(() => pinProcess(4096, process.pid)).toThrow(PinError);
  });
});

function variant(bargeIn: 'default' | 'off', workers: number, hold: number, over: Partial<VariantFigures> = {}): VariantFigures {
  return {
    bargeIn, workers, callsUp: 30, failedCalls: 0, lossPct: 0,
    gateway: { cpuMsPerCallSecond: hold, rssMiBPerCall: 0.4, rssMiB: 120 },
    lifecycle: { cpuMs: hold * 700, wallS: 30, callSeconds: 600, cpuMsPerCallSecond: hold * 1.1 },
    cpuCoreShare: 0.25,
    roundTripMs: dist(50, 60, 70, 80, 240), markers: { due: 250, back: 240 }, turnMs: dist(300, 310, 320, 330, 20), bargeInMs: dist(55, 70, 90, 95, 12),
    ...over,
  };
}

describe('the comparison table', () => {
  it('lists each run against the first, with markers, interruptions, turns and barge-ins, and the floor', () => {
    const runs = [variant('default', 0, 5, { echoInterruptions: 250 }), variant('off', 0, 4, { echoInterruptions: 0, turnMs: NOT_MEASURED })];
    expect(variantRatio(runs, runs[1] ?? runs[0] as VariantFigures, (r) => r.gateway.cpuMsPerCallSecond)).toBeCloseTo(0.8, 6);
    const md = variantsSection(runs, { cpuMsPerCallSecond: 2.5, rssMiBPerCall: 0.1, rssMiB: 90 }, false) ?? '';
    expect(md).toContain('## Echo numbers\' barge-in and media workers');
    expect(md).toContain('| 1 | default (`gateway`: detector on every frame) | 0 | 30 (0) | 5.000 (2.00× floor) | 1 | 5.500 | 25 % | 0.000 | 240 of 250 (50 / 70) | 250 | 20 (300 / 320) | 12 (55 / 90) |');
    expect(md).toContain('| 2 | `off` (no detector) | 0 | 30 (0) | 4.000 (1.60× floor) | 0.800× | 4.400 | 25 % | 0.000 | 240 of 250 (50 / 70) | 0 | 0 | 12 (55 / 90) |');
    // A result without the markers' counts shows the round trips' count alone.
    const { markers: _m, ...older } = variant('off', 0, 4);
    expect(variantsSection([older], undefined, false)).toContain('| 240 (50 / 70) |');
    expect(md).toContain('Floor relay');
    expect(md).not.toContain('Pinned');
    expect(variantsSection(runs, undefined, true)).toContain('One core for the gateway');
    expect(variantsSection(undefined, undefined, false)).toBeUndefined();
  });

  it('is in the report, and the reproduce command carries the flags', () => {
    const options = { ...fixture().options, bargeIn: 'both' as const, workerCounts: [1, 2], workers: 1, pin: true };
    const result = { ...fixture(), options, variants: [variant('default', 1, 5), variant('off', 1, 4), variant('default', 2, 6), variant('off', 2, 5)] };
    const md = renderMarkdown(result);
    expect(md).toContain('| 4 | `off` (no detector) | 2 |');
    expect(benchCommand(options)).toContain('--workers 1,2 --barge-in both --pin');
    expect(benchCommand({ ...fixture().options, bargeIn: 'off' })).toContain('--barge-in off');
    expect(benchCommand({ ...fixture().options, bargeIn: 'default' })).not.toContain('--barge-in');
  });

  it('reads the echo number\'s interruptions from /stats', () => {
    expect(echoInterruptions({ hops: {}, bargeIn: { [ECHO_NUMBER]: { interruptions: 7 } }, store: undefined })).toBe(7);
    expect(echoInterruptions({ hops: {}, bargeIn: {}, store: undefined })).toBeUndefined();
    expect(echoInterruptions(undefined)).toBeUndefined();
  });
});
