/**
 * The call-control tools offered to the model as OpenAI function tools, and what a call of one means for the call:
 * `end_call` → `hangup`, `transfer_call{target}` → `transfer`, `warm_transfer{target, summary}` → `consult` (then
 * the summary is said to the person and `bridge`), `send_dtmf{digits}` → `dtmf`.
 */
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { parseWarmTransfer, WARM_TRANSFER_DESCRIPTION, warmTransferParameters } from '@patchbay/adapter-kit';
import { DTMF_PATTERN, type ToolOptions } from '../options.js';
import type { ToolCallRequest } from './openai-chat.js';

export type ToolAction =
  | { readonly kind: 'hangup'; readonly reason: string }
  | { readonly kind: 'transfer'; readonly target: string }
  | { readonly kind: 'dtmf'; readonly digits: string }
  | { readonly kind: 'consult'; readonly target: string; readonly summary: string }
  /** A tool we did not offer, or arguments that do not validate: nothing happens and the model is told why. */
  | { readonly kind: 'invalid'; readonly error: string };

export function toolDefinitions(options: ToolOptions): ChatCompletionFunctionTool[] {
  const tools: ChatCompletionFunctionTool[] = [];
  if (options.endCall) {
    tools.push({
      type: 'function',
      function: {
        name: 'end_call',
        description: 'End the phone call. Say a short goodbye in the same reply first: it plays before the call ends.',
        parameters: { type: 'object', properties: { reason: { type: 'string', description: 'Why the call ends, in a few words.' } }, additionalProperties: false },
      },
    });
  }
  const targets = Object.keys(options.transferTargets);
  if (options.transferCall && targets.length > 0) {
    tools.push({
      type: 'function',
      function: {
        name: 'transfer_call',
        description: 'Transfer the caller to a person or another line. Tell the caller first, in the same reply.',
        parameters: {
          type: 'object',
          properties: { target: { type: 'string', enum: targets, description: 'Who to transfer the call to.' } },
          required: ['target'],
          additionalProperties: false,
        },
      },
    });
  }
  if (options.warmTransfer && targets.length > 0) {
    tools.push({
      type: 'function',
      function: {
        name: 'warm_transfer',
        description: `${WARM_TRANSFER_DESCRIPTION} Tell the caller you are connecting them and to hold, in the same reply.`,
        parameters: warmTransferParameters(targets),
      },
    });
  }
  if (options.sendDtmf) {
    tools.push({
      type: 'function',
      function: {
        name: 'send_dtmf',
        description: 'Press telephone keys (DTMF), for example to navigate a phone menu.',
        parameters: {
          type: 'object',
          properties: { digits: { type: 'string', pattern: DTMF_PATTERN.source, description: 'Keys to press: 0-9, *, #, A-D.' } },
          required: ['digits'],
          additionalProperties: false,
        },
      },
    });
  }
  return tools;
}

export function toolAction(call: ToolCallRequest, options: ToolOptions): ToolAction {
  const args = parseArguments(call.arguments);
  if (args === undefined) return { kind: 'invalid', error: 'arguments are not a JSON object' };
  switch (call.name) {
    case 'end_call': {
      if (!options.endCall) break;
      const reason = typeof args['reason'] === 'string' && args['reason'].trim() !== '' ? args['reason'].trim().slice(0, 200) : 'goodbye';
      return { kind: 'hangup', reason };
    }
    case 'transfer_call': {
      const names = Object.keys(options.transferTargets);
      if (!options.transferCall || names.length === 0) break;
      const name = args['target'];
      const target = typeof name === 'string' && Object.hasOwn(options.transferTargets, name) ? options.transferTargets[name] : undefined;
      if (target === undefined) return { kind: 'invalid', error: `target must be one of: ${names.join(', ')}` };
      return { kind: 'transfer', target };
    }
    case 'warm_transfer': {
      if (!options.warmTransfer || Object.keys(options.transferTargets).length === 0) break;
      const parsed = parseWarmTransfer(args, options.transferTargets);
      return parsed.ok ? { kind: 'consult', target: parsed.target, summary: parsed.summary } : { kind: 'invalid', error: parsed.error };
    }
    case 'send_dtmf': {
      if (!options.sendDtmf) break;
      const digits = args['digits'];
      if (typeof digits !== 'string' || !DTMF_PATTERN.test(digits)) return { kind: 'invalid', error: 'digits must be 1-64 of 0-9 * # A-D' };
      return { kind: 'dtmf', digits };
    }
    default:
      break;
  }
  return { kind: 'invalid', error: `unknown tool ${call.name.slice(0, 64)}` };
}

function parseArguments(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
