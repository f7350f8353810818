import { DeepgramClient } from '@deepgram/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sttOptions } from '../options.js';
import { FakeDeepgram } from '../testing/fake-deepgram.js';
import { memoryLogger } from '../testing/logger.js';
import { tone } from '../testing/tone.js';
import { waitFor } from '../testing/wait.js';
import { DeepgramLive, type SpeechToTextEvents, type TranscriptEvent } from './deepgram-live.js';

interface Heard {
  transcripts: TranscriptEvent[];
  utteranceEnds: number[];
  speechStarts: number[];
  failures: Error[];
}

function recorder(): { heard: Heard; events: SpeechToTextEvents } {
  const heard: Heard = { transcripts: [], utteranceEnds: [], speechStarts: [], failures: [] };
  return {
    heard,
    events: {
      transcript: (e) => heard.transcripts.push(e),
      utteranceEnd: (ms) => heard.utteranceEnds.push(ms),
      speechStarted: (ms) => heard.speechStarts.push(ms),
      failed: (err) => heard.failures.push(err),
    },
  };
}

/** `ms` of caller audio (loud tone or silence) in 20 ms frames. */
function feed(stt: DeepgramLive, ms: number, loud: boolean): void {
  const samples = loud ? tone(ms, { hz: 220, dbfs: -20 }) : new Int16Array(ms * 24);
  for (let at = 0; at + 480 <= samples.length; at += 480) stt.sendAudio(samples.subarray(at, at + 480));
}

describe('DeepgramLive against a fake Deepgram listen socket', () => {
  let fake: FakeDeepgram;
  let stt: DeepgramLive | undefined;

  beforeEach(async () => {
    fake = await FakeDeepgram.start({ transcripts: ['What are your opening hours?', 'Thank you.'] });
  });
  afterEach(async () => {
    stt?.close();
    await fake.close();
  });

  function open(tuning = {}, key = fake.apiKey): Heard {
    const { heard, events } = recorder();
    const client = new DeepgramClient({ apiKey: key, baseUrl: fake.wsUrl });
    stt = new DeepgramLive(client, sttOptions.parse({ keyterms: ['Patchbay'] }), events, memoryLogger(), tuning);
    stt.start();
    return heard;
  }

  it('connects to /v1/listen with the token and our audio format, streams frames, and reports transcripts on the caller clock', async () => {
    const heard = open();
    // Audio sent before the socket is open is held and sent on open: the first utterance starts at 200 ms.
    if (stt === undefined) throw new Error('no stt');
    feed(stt, 200, false);
    feed(stt, 1_000, true);
    feed(stt, 400, false);
    await waitFor(() => heard.transcripts.some((t) => t.speechFinal), 3_000, () => JSON.stringify(heard));

    const conn = fake.listens[0];
    expect(conn?.headers.authorization).toBe(`Token ${fake.apiKey}`);
    const q = Object.fromEntries(conn?.query ?? []);
    expect(q).toMatchObject({ model: 'nova-3', encoding: 'linear16', sample_rate: '24000', channels: '1', interim_results: 'true', endpointing: '300', utterance_end_ms: '1000', smart_format: 'true', vad_events: 'true', keyterm: 'Patchbay' });
    expect(heard.speechStarts).toEqual([200]);
    const interim = heard.transcripts.filter((t) => !t.isFinal);
    expect(interim.length).toBeGreaterThanOrEqual(2);
    expect(interim[0]).toMatchObject({ text: 'What', words: 1 });
    const final = heard.transcripts.find((t) => t.speechFinal);
    expect(final).toMatchObject({ text: 'What are your opening hours?', words: 5, isFinal: true });
    expect(final?.endMs).toBe(1_200);

    feed(stt, 1_000, false);
    await waitFor(() => heard.utteranceEnds.length > 0, 3_000);
    expect(heard.utteranceEnds).toEqual([1_200]);
  });

  it('close() sends CloseStream and closes the socket', async () => {
    open();
    await waitFor(() => fake.listens.length === 1, 3_000);
    if (stt === undefined) throw new Error('no stt');
    feed(stt, 100, false);
    await waitFor(() => (fake.listens[0]?.audioBytes ?? 0) > 0, 3_000);
    stt.close();
    await waitFor(() => fake.listens[0]?.closeStream === true, 3_000);
  });

  it('sends KeepAlive while no audio goes out', async () => {
    open({ keepAliveMs: 60 });
    await waitFor(() => (fake.listens[0]?.keepAlives ?? 0) >= 2, 3_000, () => `keepAlives ${fake.listens[0]?.keepAlives}`);
  });

  it('a dropped socket is reopened once; audio goes on and is transcribed on the caller clock', async () => {
    const heard = open();
    if (stt === undefined) throw new Error('no stt');
    feed(stt, 100, false);
    await waitFor(() => (fake.listens[0]?.audioBytes ?? 0) >= 100 * 48, 3_000);
    fake.dropListens();
    feed(stt, 100, false); // while reconnecting: held
    await waitFor(() => fake.listens.length === 2, 3_000);
    feed(stt, 600, true);
    feed(stt, 400, false);
    await waitFor(() => heard.transcripts.some((t) => t.speechFinal), 3_000, () => JSON.stringify(heard.transcripts));
    expect(stt.reconnects).toBe(1);
    expect(heard.failures).toEqual([]);
    expect(heard.transcripts.find((t) => t.speechFinal)).toMatchObject({ text: 'What are your opening hours?', endMs: 800 });
  });

  it('a second drop right after the reconnect is reported as a failure with a stable code', async () => {
    const heard = open();
    await waitFor(() => fake.listens.length === 1 && fake.listens[0]?.closedByClientMs === undefined, 3_000);
    fake.refuseListens = 1;
    fake.dropListens();
    await waitFor(() => heard.failures.length === 1, 3_000);
    expect(heard.failures[0]).toMatchObject({ code: 'PIPELINE_STT_UNAVAILABLE' });
  });

  it('a wrong key is refused by the fake (401) and ends as a failure after one retry', async () => {
    const heard = open({}, 'wrong-key');
    await waitFor(() => heard.failures.length === 1, 5_000);
    expect(fake.listens).toEqual([]);
  });
});
