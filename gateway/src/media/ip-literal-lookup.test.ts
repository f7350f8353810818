import { describe, expect, it } from 'vitest';
import { createIpLiteralLookup } from './ip-literal-lookup.js';

type Answer = { err: NodeJS.ErrnoException | null; address: string; family: number };

function ask(lookup: ReturnType<typeof createIpLiteralLookup>, hostname: string): { sync: Answer | undefined; done: Promise<Answer> } {
  let sync: Answer | undefined;
  let inCall = true;
  const done = new Promise<Answer>((resolve) => {
    lookup(hostname, { family: 4 }, (err, address, family) => {
      const answer = { err, address, family };
      if (inCall) sync = answer;
      resolve(answer);
    });
  });
  inCall = false;
  return { sync, done };
}

describe('createIpLiteralLookup', () => {
  it('answers IPv4 and IPv6 literals in the caller’s own tick, again and after a change of address', () => {
    const lookup = createIpLiteralLookup();
    expect(ask(lookup, '127.0.0.1').sync).toEqual({ err: null, address: '127.0.0.1', family: 4 });
    expect(ask(lookup, '127.0.0.1').sync).toEqual({ err: null, address: '127.0.0.1', family: 4 });
    expect(ask(lookup, '::1').sync).toEqual({ err: null, address: '::1', family: 6 });
    expect(ask(lookup, '10.0.0.7').sync).toEqual({ err: null, address: '10.0.0.7', family: 4 });
  });

  it('hands a name to dns.lookup (answered later, not in the call)', async () => {
    const lookup = createIpLiteralLookup();
    const { sync, done } = ask(lookup, 'localhost');
    expect(sync).toBeUndefined();
    const answer = await done;
    expect(answer.err).toBeNull();
    expect(answer.address).toBe('127.0.0.1');
  });
});
