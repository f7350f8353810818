/**
 * Against the real OpenAI Realtime API: runs only when OPENAI_API_KEY is set (no key, no internet: skipped). Connects
 * through the adapter's own connection and checks the API accepts the session configuration the adapter sends.
 */
import { describe, expect, it } from 'vitest';
import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { realtimeOptions } from './options.js';
import { RealtimeConnection } from './realtime-connection.js';
import { sessionConfig } from './session-config.js';

const apiKey = process.env['OPENAI_API_KEY'];

describe.runIf(apiKey !== undefined && apiKey !== '')('live OpenAI Realtime', () => {
  it('accepts our session.update (session.updated with PCM 24 kHz both ways)', async () => {
    const options = realtimeOptions.parse({ voice: 'marin', instructions: 'You are a test.', transferTargets: { desk: '+15550100000' } });
    const events: RealtimeServerEvent[] = [];
    let connection: RealtimeConnection | undefined;
    const updated = await new Promise<RealtimeServerEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no session.updated within 15 s; got ${events.map((e) => e.type).join(', ')}`)), 15_000);
      connection = new RealtimeConnection(
        { apiKey: apiKey ?? '', model: options.model, connectTimeoutMs: 10_000 },
        {
          onOpen: () => connection?.send({ type: 'session.update', session: sessionConfig(options) }),
          onEvent: (event) => {
            events.push(event);
            if (event.type === 'session.updated') {
              clearTimeout(timer);
              resolve(event);
            } else if (event.type === 'error') {
              clearTimeout(timer);
              reject(new Error(`${event.error.code ?? ''}: ${event.error.message}`));
            }
          },
          onTransportError: (err) => {
            clearTimeout(timer);
            reject(err);
          },
          onClose: (code) => {
            clearTimeout(timer);
            reject(new Error(`closed ${code}`));
          },
        },
      );
    }).finally(() => connection?.close());
    expect(updated).toMatchObject({
      type: 'session.updated',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } }, output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin' } } },
    });
  }, 20_000);
});
