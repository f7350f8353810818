/**
 * SIGHUP reloads patchbay.yaml in a running gateway process (src/main.ts): a valid file's numbers take the next
 * call (no restart) and a changed `sip.userAgent` is named as needing a restart; an invalid file changes nothing and
 * every problem is logged on its own line with its path.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { SipCaller, SipCallerError } from '../helpers/sip-caller.js';
import { waitFor } from '../helpers/wait-for.js';

let gw: GatewayProcess;

const yaml = (numbers: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  stringify({
    sip: { host: '127.0.0.1', udp: true, tcp: false, publicAddress: '127.0.0.1', port: gw.sipPort, ...(extra['sip'] as object | undefined) },
    http: { host: '127.0.0.1', port: gw.httpPort, admin: { host: '127.0.0.1', port: gw.adminPort } },
    media: { portMin: 31000, portMax: 31099 },
    log: { level: 'info' },
    numbers,
  });

async function patterns(): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/numbers`, { signal: AbortSignal.timeout(3_000) });
  const body = (await res.json()) as { numbers: { pattern: string }[] };
  return body.numbers.map((n) => n.pattern);
}

async function status(to: string): Promise<number | undefined> {
  try {
    const caller = await SipCaller.call({ host: '127.0.0.1', port: gw.sipPort, to });
    await caller.hangUp();
    return 200;
  } catch (err) {
    if (!(err instanceof SipCallerError)) throw err;
    return err.status;
  }
}

beforeAll(async () => {
  gw = await startGatewayProcess({ media: { portMin: 31000, portMax: 31099 }, log: { level: 'info' }, numbers: { '+15550100001': { agent: 'echo' } } });
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

describe('SIGHUP', () => {
  it('valid file: the new number takes the next call; sip.userAgent is named as needing a restart', async () => {
    expect(await status('+15550100002')).toBe(404);
    await writeFile(gw.configFile, yaml({ '+15550100001': { agent: 'echo' }, '+15550100002': { agent: 'demo' } }, { sip: { userAgent: 'Reloaded' } }));
    gw.signal('SIGHUP');
    await waitFor(async () => (await patterns()).includes('+15550100002'), 10_000, () => gw.output.slice(-2_000));
    expect(await status('+15550100002')).toBe(200);
    expect(gw.output).toMatch(/configuration reloaded: numbers/);
    expect(gw.output).toMatch(/take effect only after a restart: sip\.userAgent/);
  }, 30_000);

  it('invalid file: the running numbers stay, every problem logged with its path', async () => {
    await writeFile(gw.configFile, yaml({ '+15550100001': { agent: 'nope' }, '+1 555 010 0001': { agent: 'echo' }, '+15550100003': { agent: 'echo', bargeIn: 'sometimes' } }));
    const before = gw.output.length;
    gw.signal('SIGHUP');
    await waitFor(() => gw.output.slice(before).includes('configuration reload refused'), 10_000, () => gw.output.slice(-2_000));
    // One log line per problem, each naming its path.
    const problems = gw.output
      .slice(before)
      .split('\n')
      .flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { problem?: unknown };
          return typeof entry.problem === 'string' ? [entry.problem] : [];
        } catch {
          return [];
        }
      });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^numbers\."\+15550100001"\.agent: /);
    expect(problems[1]).toMatch(/^numbers\."\+15550100003"\.bargeIn: /);
    expect(problems[2]).toMatch(/^numbers\."\+1 555 010 0001": duplicate number pattern/);
    expect((await patterns()).sort()).toEqual(['+15550100001', '+15550100002']);
    expect(await status('+15550100002')).toBe(200);
    expect(await status('+15550100003')).toBe(404);
    expect(gw.exit).toBeUndefined();
  }, 30_000);
});
