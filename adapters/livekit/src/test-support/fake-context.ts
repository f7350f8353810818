/** An AgentContext that records what the session sends, and a logger that records what it logs. */
import type { AdapterLogger } from '@patchbay/adapter-kit';
import { AUDIO_FORMAT, type AgentContext, type AgentMessage, type StartMessage } from '@patchbay/agents';

export const START: StartMessage = {
  type: 'start',
  version: 1,
  callId: 'call-42',
  streamId: 'stream-7',
  from: '+15550111',
  to: '+15550100',
  direction: 'inbound',
  parameters: { campaign: 'spring' },
  audio: AUDIO_FORMAT,
};

export interface FakeContext extends AgentContext {
  readonly audio: Int16Array[];
  readonly messages: AgentMessage[];
  /** Everything sent, audio as `audio:<first sample>`, in order. */
  readonly sent: string[];
  readonly controller: AbortController;
}

export function fakeContext(start: StartMessage = START): FakeContext {
  const controller = new AbortController();
  const audio: Int16Array[] = [];
  const messages: AgentMessage[] = [];
  const sent: string[] = [];
  return {
    start,
    signal: controller.signal,
    controller,
    audio,
    messages,
    sent,
    sendAudio(pcm) {
      audio.push(pcm);
      sent.push(`audio:${pcm[0] ?? ''}`);
    },
    send(msg) {
      messages.push(msg);
      sent.push(msg.type);
    },
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export function recordingLogger(): AdapterLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A frame of `samples` samples, all equal to `value`. */
export function frameOf(value: number, samples = 480): Int16Array {
  return new Int16Array(samples).fill(value);
}
