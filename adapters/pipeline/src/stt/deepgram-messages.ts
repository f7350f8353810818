/**
 * Deepgram live listen (`/v1/listen`) server messages, narrowed from the socket's JSON with zod: only the fields the
 * pipeline uses, unknown fields ignored, a message that does not match is reported as `unknown`.
 */
import { z } from 'zod';

const word = z.looseObject({ word: z.string(), start: z.number(), end: z.number(), punctuated_word: z.string().optional() });

const results = z.looseObject({
  type: z.literal('Results'),
  /** Seconds of audio since the connection opened, and the span this result covers. */
  start: z.number(),
  duration: z.number(),
  is_final: z.boolean().optional(),
  speech_final: z.boolean().optional(),
  from_finalize: z.boolean().optional(),
  channel: z.looseObject({
    alternatives: z.array(z.looseObject({ transcript: z.string(), confidence: z.number().optional(), words: z.array(word).optional() })),
  }),
});

const utteranceEnd = z.looseObject({ type: z.literal('UtteranceEnd'), last_word_end: z.number() });
const speechStarted = z.looseObject({ type: z.literal('SpeechStarted'), timestamp: z.number() });
const metadata = z.looseObject({ type: z.literal('Metadata'), request_id: z.string().optional(), duration: z.number().optional() });

const message = z.discriminatedUnion('type', [results, utteranceEnd, speechStarted, metadata]);

export type ListenMessage =
  | {
      readonly type: 'Results';
      readonly transcript: string;
      readonly words: number;
      readonly isFinal: boolean;
      readonly speechFinal: boolean;
      /** End of the last word (or of the result), seconds since the connection's first audio. */
      readonly endS: number;
    }
  | { readonly type: 'UtteranceEnd'; readonly lastWordEndS: number }
  | { readonly type: 'SpeechStarted'; readonly timestampS: number }
  | { readonly type: 'Metadata'; readonly requestId: string | undefined }
  | { readonly type: 'unknown'; readonly kind: string };

export function parseListenMessage(data: unknown): ListenMessage {
  const parsed = message.safeParse(data);
  if (!parsed.success) {
    const kind = typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string' ? (data as { type: string }).type : typeof data;
    return { type: 'unknown', kind: kind.slice(0, 64) };
  }
  const m = parsed.data;
  switch (m.type) {
    case 'Results': {
      const alt = m.channel.alternatives[0];
      const transcript = alt?.transcript.trim() ?? '';
      const words = alt?.words;
      const lastWord = words?.at(-1);
      return {
        type: 'Results',
        transcript,
        words: words !== undefined && words.length > 0 ? words.length : countWords(transcript),
        isFinal: m.is_final === true,
        speechFinal: m.speech_final === true,
        endS: lastWord?.end ?? m.start + m.duration,
      };
    }
    case 'UtteranceEnd':
      return { type: 'UtteranceEnd', lastWordEndS: m.last_word_end };
    case 'SpeechStarted':
      return { type: 'SpeechStarted', timestampS: m.timestamp };
    case 'Metadata':
      return { type: 'Metadata', requestId: m.request_id };
  }
}

function countWords(text: string): number {
  return text === '' ? 0 : text.split(/\s+/).length;
}
