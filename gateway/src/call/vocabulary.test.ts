import { readFileSync } from 'node:fs';
import { GatewayErrorCode, StopReason } from '@patchbay/agents';
import { describe, expect, it } from 'vitest';
import {
  byeReasonHeader,
  CALL_STATUSES,
  DISPOSITIONS,
  dispositionOf,
  END_REASON_TABLE,
  END_REASONS,
  endReasonForFinalStatus,
  endReasonFromHeader,
  isEndReason,
  stopReasonOf,
} from './vocabulary.js';

const docs = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('the end-reason table', () => {
  it('has a row for every end reason and nothing else', () => {
    expect(Object.keys(END_REASON_TABLE).sort()).toEqual([...END_REASONS].sort());
    for (const r of END_REASONS) expect(isEndReason(r)).toBe(true);
    expect(isEndReason('hangup')).toBe(false);
  });

  it("maps every end reason to a protocol StopReason, and every StopReason is reached by one", () => {
    const stops = new Set<string>(Object.values(StopReason));
    for (const r of END_REASONS) expect(stops.has(stopReasonOf(r)), r).toBe(true);
    expect(new Set(END_REASONS.map(stopReasonOf))).toEqual(stops);
  });

  it('gives every end reason a disposition both ways, each one of DISPOSITIONS, and every disposition is reached', () => {
    const reached = new Set<string>();
    for (const r of END_REASONS) {
      for (const answered of [true, false]) {
        const d = dispositionOf(r, answered);
        expect(DISPOSITIONS, r).toContain(d);
        reached.add(d);
      }
    }
    expect(reached).toEqual(new Set(DISPOSITIONS));
    expect(CALL_STATUSES.slice(0, 3)).toEqual(['queued', 'ringing', 'answered']);
  });

  it('keeps the apology out of agent-hangup: agent-unavailable is a failure with its own stop reason', () => {
    expect(dispositionOf('agent-unavailable', true)).toBe('failed');
    expect(stopReasonOf('agent-unavailable')).toBe('agent_unavailable');
    expect(dispositionOf('agent-hangup', true)).toBe('completed');
    expect(dispositionOf('cancelled', false)).toBe('canceled');
    expect(dispositionOf('remote-bye', true)).toBe('completed');
  });

  it('round-trips every end reason through the BYE Reason header', () => {
    for (const r of END_REASONS) expect(endReasonFromHeader(byeReasonHeader(r))).toBe(r);
    expect(byeReasonHeader('transferred')).toBe('SIP;cause=200;text="transferred"');
    expect(endReasonFromHeader('Q.850;cause=16')).toBeUndefined();
    expect(endReasonFromHeader('SIP;cause=200;text="made-up"')).toBeUndefined();
  });

  it('reads an outbound final status as busy, declined, no-answer or failed, as the table says', () => {
    for (const [status, reason] of [[486, 'busy'], [600, 'busy'], [603, 'declined'], [408, 'no-answer'], [480, 'no-answer'], [487, 'no-answer'], [404, 'failed'], [503, 'failed'], [302, 'failed']] as const) {
      expect(endReasonForFinalStatus(status)).toBe(reason);
      expect(dispositionOf(reason, false)).toBe(reason === 'no-answer' || reason === 'busy' || reason === 'declined' ? reason : 'failed');
    }
    for (const r of END_REASONS) {
      const s = END_REASON_TABLE[r].inviteStatus;
      if (s !== undefined && r !== 'cancelled') expect(endReasonForFinalStatus(s)).toBe(r);
    }
  });
});

describe('documentation', () => {
  it('docs/protocol.md names every stop reason and every error code the gateway sends', () => {
    const protocol = docs('protocol.md');
    for (const v of [...Object.values(StopReason), ...Object.values(GatewayErrorCode)]) expect(protocol, v).toContain(`\`${v}\``);
  });

  it('docs/call-core.md lists every end reason, disposition and event', () => {
    const core = docs('call-core.md');
    for (const v of [...END_REASONS, ...DISPOSITIONS]) expect(core, v).toContain(`\`${v}\``);
    for (const e of ['created', 'ringing', 'early-media', 'agent-connect', 'answered', 'confirmed', 'refused', 'transferred', 'ended', 'media-ended', 'media-trace']) {
      expect(core, e).toContain(`\`${e}\``);
    }
  });
});

describe('codes the gateway sends to agents', () => {
  it('every error code and stop reason written in gateway/src is in the @patchbay/agents tables', async () => {
    const { readdirSync } = await import('node:fs');
    const root = new URL('../', import.meta.url);
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const codes = new Set<string>(Object.values(GatewayErrorCode));
    const stops = new Set<string>(Object.values(StopReason));
    let found = 0;
    for (const f of files) {
      const text = readFileSync(new URL(f, root), 'utf8');
      for (const m of text.matchAll(/type: 'error', code: '([a-z_]+)'/g)) {
        found++;
        expect(codes.has(m[1] ?? ''), `${f}: ${m[1]}`).toBe(true);
      }
      for (const m of text.matchAll(/type: 'stop', reason: '([a-z_]+)'/g)) expect(stops.has(m[1] ?? ''), `${f}: ${m[1]}`).toBe(true);
    }
    expect(found, 'the scan finds the literal codes (playout_overflow, dtmf_unsupported, ...)').toBeGreaterThanOrEqual(5);
  });
});
