/**
 * For webhooks' tests: calls as the call core makes them (real plans from a parsed config), a CallRecordSource
 * that tells its listeners what a test hands it, and a finished record for a call.
 */
import { newCall, type Call } from '../call/call.js';
import { resolvePlan } from '../call/plan.js';
import { summarize } from '../call/registry.js';
import type { Config } from '../config.js';
import type { CallDetail, CallRecordSource } from '../records/record.js';

export function testCall(config: Config, id: string, pattern: string, to = pattern): Call {
  const route = config.numbers[pattern];
  if (route === undefined) throw new Error(`no number '${pattern}' in the test config`);
  const plan = resolvePlan(config, { direction: 'inbound', from: '+15550009999', to, pattern, route });
  return newCall({ id, sipCallId: `${id}@test`, localTag: 'tag', key: id, plan, remote: { transport: 'udp', address: '127.0.0.1', port: 5060 } });
}

export class FakeRecordSource implements CallRecordSource {
  readonly #listeners = new Set<(d: CallDetail) => void>();

  onRecord(listener: (detail: CallDetail) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  emit(detail: CallDetail): void {
    for (const l of this.#listeners) l(detail);
  }
}

/** The finished record of `call` (ended now, completed). */
export function testRecord(call: Call): CallDetail {
  const s = summarize(call);
  const endedAt = new Date().toISOString();
  return {
    ...s,
    status: 'completed',
    endedAt,
    ringMs: null,
    talkMs: 1000,
    disposition: 'completed',
    sipStatus: 200,
    endReason: 'remote-bye',
    transfer: null,
    dtmfCount: 0,
    bargeIns: 0,
    turns: 1,
    turnLatencyMs: null,
    quality: null,
    stages: { stt: null, llm: null, tts: null, realtime: null },
    recording: null,
    routing: { source: 'config', action: 'agent' },
    timeline: [{ at: endedAt, type: 'ended', data: { reason: 'remote-bye' } }],
    transcript: [{ at: endedAt, role: 'caller', text: 'hello', final: true }],
  };
}
