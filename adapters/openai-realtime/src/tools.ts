/**
 * The telephony tools the model may call, as Realtime function tools, and their arguments parsed into commands.
 * Pure: what a call *does* is the session's business (`tool-runner.ts`).
 */
import type { RealtimeFunctionTool } from 'openai/resources/realtime/realtime';
import { parseWarmTransfer, WARM_TRANSFER_DESCRIPTION, warmTransferParameters } from '@patchbay/adapter-kit';
import { isDtmfDigits, type RealtimeOptions } from './options.js';

export const TOOL_END_CALL = 'end_call';
export const TOOL_TRANSFER_CALL = 'transfer_call';
export const TOOL_SEND_DTMF = 'send_dtmf';
export const TOOL_WARM_TRANSFER = 'warm_transfer';

/** A tool call parsed and checked; `invalid` carries what to tell the model. */
export type ToolCommand =
  | { readonly kind: 'end_call' }
  | { readonly kind: 'transfer_call'; readonly name: string; readonly target: string }
  | { readonly kind: 'send_dtmf'; readonly digits: string }
  | { readonly kind: 'warm_transfer'; readonly name: string; readonly target: string; readonly summary: string }
  | { readonly kind: 'invalid'; readonly error: string };

/** The function tools `options` turn on. `transfer_call` needs `transferTargets` (never an arbitrary number). */
export function toolDefinitions(options: RealtimeOptions): RealtimeFunctionTool[] {
  const tools: RealtimeFunctionTool[] = [];
  if (options.tools.endCall) {
    tools.push({
      type: 'function',
      name: TOOL_END_CALL,
      description:
        'Hang up the phone call. Use it when the conversation is over or the caller asks to end it. Say goodbye ' +
        'first, in the same response: the call ends once your goodbye has been heard.',
      parameters: {
        type: 'object',
        properties: { reason: { type: 'string', description: 'Why the call ends, in a few words.' } },
        additionalProperties: false,
      },
    });
  }
  const targets = Object.keys(options.transferTargets ?? {});
  if (options.tools.transferCall && targets.length > 0) {
    tools.push({
      type: 'function',
      name: TOOL_TRANSFER_CALL,
      description:
        'Transfer the caller to a person or department. Tell the caller you are transferring them first, in the ' +
        `same response. Possible targets: ${targets.join(', ')}.`,
      parameters: {
        type: 'object',
        properties: { target: { type: 'string', enum: targets, description: 'Who to transfer the caller to.' } },
        required: ['target'],
        additionalProperties: false,
      },
    });
  }
  if (options.tools.warmTransfer && targets.length > 0) {
    tools.push({
      type: 'function',
      name: TOOL_WARM_TRANSFER,
      description: `${WARM_TRANSFER_DESCRIPTION} When they answer you speak to them and give the summary. Tell the caller you are connecting them and to hold, in the same response. Possible targets: ${targets.join(', ')}.`,
      parameters: warmTransferParameters(targets),
    });
  }
  if (options.tools.sendDtmf) {
    tools.push({
      type: 'function',
      name: TOOL_SEND_DTMF,
      description:
        'Press keys on the phone keypad (DTMF), for example to navigate an automated phone menu on the other end.',
      parameters: {
        type: 'object',
        properties: { digits: { type: 'string', pattern: '^[0-9*#A-D]{1,64}$', description: 'Keys to press, e.g. "1" or "1234#".' } },
        required: ['digits'],
        additionalProperties: false,
      },
    });
  }
  return tools;
}

/** Parses a function call of the model into a command, checked against what `options` allow. */
export function parseToolCall(name: string, args: string, options: RealtimeOptions): ToolCommand {
  const enabled = toolDefinitions(options).some((t) => t.name === name);
  if (!enabled) return { kind: 'invalid', error: `unknown tool ${JSON.stringify(name)}` };
  let parsed: unknown;
  try {
    parsed = args.trim() === '' ? {} : JSON.parse(args);
  } catch {
    return { kind: 'invalid', error: 'arguments are not valid JSON' };
  }
  const record = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  switch (name) {
    case TOOL_END_CALL:
      return { kind: 'end_call' };
    case TOOL_TRANSFER_CALL: {
      const target = record['target'];
      const targets = options.transferTargets ?? {};
      const number = typeof target === 'string' && Object.hasOwn(targets, target) ? targets[target] : undefined;
      if (typeof target !== 'string' || number === undefined) {
        const known = Object.keys(options.transferTargets ?? {}).join(', ');
        return { kind: 'invalid', error: `target must be one of: ${known}` };
      }
      return { kind: 'transfer_call', name: target, target: number };
    }
    case TOOL_WARM_TRANSFER: {
      const parsed = parseWarmTransfer(record, options.transferTargets ?? {});
      return parsed.ok ? { kind: 'warm_transfer', name: parsed.name, target: parsed.target, summary: parsed.summary } : { kind: 'invalid', error: parsed.error };
    }
    case TOOL_SEND_DTMF: {
      const digits = record['digits'];
      if (typeof digits !== 'string' || !isDtmfDigits(digits)) {
        return { kind: 'invalid', error: 'digits must be 1 to 64 of 0-9 * # A-D' };
      }
      return { kind: 'send_dtmf', digits };
    }
    default:
      return { kind: 'invalid', error: `unknown tool ${JSON.stringify(name)}` };
  }
}
