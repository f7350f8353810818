/**
 * Shared set-up of this package's own tests: the adapter built from options (as the gateway builds it), pointed at a
 * fake Realtime server, one `FakeCall` per call, and a logger that keeps every line for checks.
 */
import type { AdapterLogger } from '@patchbay/adapter-kit';
import type { AgentMessage, StartMessage } from '@patchbay/agents';
import { adapter } from '../index.js';
import { realtimeOptions, type RealtimeOptionsInput } from '../options.js';
import { FakeCall, until } from './fake-call.js';
import type { FakeRealtimeServer } from './fake-realtime-server.js';
import type { FakeSession } from './fake-session.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

export function recordingLogger(lines: LogLine[]): AdapterLogger {
  const at = (level: LogLine['level']) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Harness {
  readonly call: FakeCall;
  readonly session: FakeSession;
  readonly logs: LogLine[];
}

/** Builds the adapter with `options` (baseUrl and key filled in) and starts a call; its socket is still connecting. */
export function startCall(
  fake: FakeRealtimeServer,
  options: Omit<RealtimeOptionsInput, 'baseUrl'> = {},
  env: Record<string, string> = { OPENAI_API_KEY: 'sk-test' },
  start: Partial<StartMessage> = {},
): { call: FakeCall; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const agent = adapter.create(realtimeOptions.parse({ baseUrl: fake.url, ...options }), { env, logger: recordingLogger(logs) });
  return { call: new FakeCall(agent, start), logs };
}

/** `startCall`, resolved once the fake server has the call's session. */
export async function placeCall(fake: FakeRealtimeServer, options: Omit<RealtimeOptionsInput, 'baseUrl'> = {}): Promise<Harness> {
  const index = fake.sessions.length;
  const { call, logs } = startCall(fake, options);
  const session = await fake.session(index);
  return { call, session, logs };
}

/** The first message of `type` the agent sent (polled, bounded). */
export async function nextMessage<T extends AgentMessage['type']>(
  call: FakeCall,
  type: T,
  match: (msg: Extract<AgentMessage, { type: T }>) => boolean = () => true,
  timeoutMs = 3_000,
): Promise<Extract<AgentMessage, { type: T }>> {
  const find = () => call.messagesOf(type).find(match);
  await until(() => find() !== undefined, timeoutMs, () => `no ${type}; agent sent ${JSON.stringify(call.messages.map((m) => m.msg))}`);
  const found = find();
  if (found === undefined) throw new Error(`no ${type}`);
  return found;
}

/** The first client event of `type` the fake received (polled, bounded). */
export async function nextEvent(session: FakeSession, type: string, match: (e: Record<string, unknown>) => boolean = () => true, timeoutMs = 3_000) {
  const find = () => session.eventsOf(type).find(match);
  await until(() => find() !== undefined, timeoutMs, () => `no ${type}; fake got ${session.events.map((e) => e.event.type).join(', ')}`);
  const found = find();
  if (found === undefined) throw new Error(`no ${type}`);
  return found;
}

/** `ms` of caller audio as 20 ms frames of `pcm` (or silence). */
export function frames(pcm: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let at = 0; at < pcm.length; at += 480) {
    const frame = new Int16Array(480);
    frame.set(pcm.subarray(at, Math.min(pcm.length, at + 480)));
    out.push(frame);
  }
  return out;
}
