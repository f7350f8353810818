/**
 * Runs the function calls of a finished response: each gets its `function_call_output`; `end_call`,
 * `transfer_call` and `warm_transfer` act once the response's audio (the goodbye, "transferring you now") has played; `send_dtmf` acts at
 * once and, like a refused call, asks the model for a new response so it can carry on.
 */
import type { AgentMessage } from '@patchbay/agents';
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime';
import type { RealtimeOptions } from './options.js';
import { parseToolCall } from './tools.js';

export interface FunctionCall {
  readonly name: string;
  readonly callId: string;
  readonly arguments: string;
}

export interface ToolHost {
  sendEvent(event: RealtimeClientEvent): void;
  /** Asks the model for a response (queued if one is in progress). */
  requestResponse(): void;
  sendToGateway(msg: AgentMessage): void;
  /** Runs `action` once the audio forwarded so far has been played (or after a bound); `what` names it in logs. */
  afterPlayout(what: string, action: () => void): void;
  /** A transfer was requested to the target named `name`. */
  transferring(name: string): void;
  /** A warm transfer to `name` starts: the person will be told `summary` when they answer. */
  consulting(name: string, summary: string): void;
  debug(obj: object, msg: string): void;
}

/** The hang-up reason of `end_call` (stable: the gateway logs and counts it). */
export const END_CALL_REASON = 'end_call';

export function runToolCalls(calls: readonly FunctionCall[], options: RealtimeOptions, host: ToolHost): void {
  let respond = false;
  let ending = false;
  for (const call of calls) {
    const command = parseToolCall(call.name, call.arguments, options);
    let output: object;
    switch (command.kind) {
      case 'end_call':
        output = { ok: true, result: 'the call ends after your goodbye has played' };
        ending = true;
        host.afterPlayout('end_call', () => host.sendToGateway({ type: 'hangup', reason: END_CALL_REASON }));
        break;
      case 'transfer_call':
        output = { ok: true, result: `transferring the caller to ${command.name}` };
        ending = true;
        host.transferring(command.name);
        host.afterPlayout('transfer_call', () => host.sendToGateway({ type: 'transfer', target: command.target }));
        break;
      case 'warm_transfer':
        output = { ok: true, result: `calling ${command.name}; the caller hears hold music. When they answer you will be speaking to them, not to the caller.` };
        ending = true;
        host.consulting(command.name, command.summary);
        host.afterPlayout('warm_transfer', () => host.sendToGateway({ type: 'consult', target: command.target, whisper: command.summary }));
        break;
      case 'send_dtmf':
        host.sendToGateway({ type: 'dtmf', digits: command.digits });
        output = { ok: true, result: `pressed ${command.digits}` };
        respond = true;
        break;
      case 'invalid':
        output = { ok: false, error: command.error };
        respond = true;
        break;
    }
    host.debug({ tool: call.name, kind: command.kind }, 'tool call');
    host.sendEvent({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: call.callId, output: JSON.stringify(output) },
    });
  }
  // After a hang-up or transfer there is nothing more to say; otherwise let the model react to the outputs.
  if (respond && !ending) host.requestResponse();
}
