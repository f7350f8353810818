import type { IncomingMessage } from 'node:http';
import { AUDIO_FORMAT, type StartMessage } from '@patchbay/agents';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFailingAgents } from '../../test/helpers/failing-agents.js';
import { recordingSink } from '../../test/helpers/recording-sink.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startWsAgentServer } from '../../test/helpers/ws-agent-server.js';
import { loadResampler } from '../media/audio/resampler.js';
import { AgentConnectError } from './agent-link.js';
import { connectTwilioAgent, TwilioLink } from './twilio-link.js';

const logger = pino({ level: 'silent' });
const start: StartMessage = { type: 'start', version: 1, callId: 'call-1', streamId: 's-1', from: '+15550100009', to: '+15550100002', direction: 'inbound', parameters: { language: 'en' }, audio: AUDIO_FORMAT };
const cleanups: Array<() => Promise<void> | void> = [];
beforeAll(async () => {
  await loadResampler();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

type Json = Record<string, unknown> & { event?: string };

/** A bot endpoint recording the JSON it gets; `onConnection` may script it. */
async function botServer(onConnection: (ws: WebSocket, got: Json[], req: IncomingMessage) => void = () => undefined) {
  const got: Json[] = [];
  let bot: WebSocket | undefined;
  const server = await startWsAgentServer(
    (ws, req) => {
      bot = ws;
      ws.on('message', (data) => got.push(JSON.parse(String(data)) as Json));
      onConnection(ws, got, req);
    },
    { path: '/bot' },
  );
  cleanups.push(() => server.close());
  return { url: server.url, got, bot: () => bot, events: () => got.map((m) => m.event) };
}

const until = (cond: () => boolean): Promise<void> => waitFor(cond, 3_000);

const options = (url: string) => ({ url, start, connectTimeoutMs: 500, maxUplinkMs: 100, logger });
const ulaw = (bytes: number, value = 0x80): string => Buffer.alloc(bytes, value).toString('base64');

describe('connectTwilioAgent', () => {
  it('says connected then start, with the call headers; caller frames go out as numbered 160-byte media messages', async () => {
    let headers: IncomingMessage['headers'] = {};
    const bot = await botServer((_ws, _got, req) => (headers = req.headers));
    const link = await connectTwilioAgent({ ...options(bot.url), token: 'tok' }, recordingSink().sink);
    for (let i = 0; i < 3; i++) link.sendAudio(new Int16Array(480).fill(1000));
    await until(() => bot.got.length >= 5);
    expect(headers).toMatchObject({ 'x-patchbay-token': 'tok', 'x-patchbay-call-id': 'call-1' });
    expect(headers['sec-websocket-protocol']).toBeUndefined();
    const [connected, started, ...media] = bot.got;
    expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(started).toMatchObject({
      event: 'start',
      sequenceNumber: '1',
      start: { tracks: ['inbound'], customParameters: { language: 'en' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
    });
    const sids = (link as TwilioLink).sids;
    expect(started).toMatchObject({ streamSid: sids.streamSid, start: { streamSid: sids.streamSid, callSid: sids.callSid, accountSid: sids.accountSid } });
    expect(JSON.stringify(started)).not.toContain('+1555'); // Twilio does not send the numbers; neither do we
    expect(media.map((m) => [m['sequenceNumber'], (m['media'] as Json)['chunk'], (m['media'] as Json)['timestamp']])).toEqual([
      ['2', '1', '0'],
      ['3', '2', '20'],
      ['4', '3', '40'],
    ]);
    expect(media.map((m) => Buffer.from(String((m['media'] as Json)['payload']), 'base64').length)).toEqual([160, 160, 160]);
    link.close('caller_hangup');
  });

  it('reports refused, unreachable and silent bots with the same codes as the native link', async () => {
    const dead = await startFailingAgents();
    cleanups.push(() => dead.close());
    await expect(connectTwilioAgent(options(dead.refused), recordingSink().sink)).rejects.toMatchObject({ code: 'AGENT_REFUSED' });
    await expect(connectTwilioAgent(options(dead.unreachable), recordingSink().sink)).rejects.toMatchObject({ code: 'AGENT_UNREACHABLE' });
    const err = await connectTwilioAgent(options(dead.silent), recordingSink().sink).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConnectError);
    expect((err as AgentConnectError).code).toBe('AGENT_TIMEOUT');
  });

  it('plays bot media, forwards marks and clear, and echoes each mark once, played or cleared, names reused', async () => {
    const bot = await botServer((ws) => {
      ws.send(JSON.stringify({ event: 'media', streamSid: 'MZx', media: { payload: ulaw(160) } }));
      ws.send(JSON.stringify({ event: 'mark', streamSid: 'MZx', mark: { name: 'part' } }));
      ws.send(JSON.stringify({ event: 'media', streamSid: 'MZx', media: { payload: ulaw(80) } }));
      ws.send(JSON.stringify({ event: 'mark', streamSid: 'MZx', mark: { name: 'part' } }));
      ws.send(JSON.stringify({ event: 'clear', streamSid: 'MZx' }));
    });
    const rec = recordingSink();
    const link = await connectTwilioAgent(options(bot.url), rec.sink);
    await until(() => rec.messages.length === 3);
    expect(rec.audio.map((a) => a.length)).toEqual([480, 240]);
    expect(rec.messages).toEqual([{ type: 'mark', name: 'part' }, { type: 'mark', name: 'part' }, { type: 'clear' }]);
    // The gateway answers: the first played, the second cleared, then `cleared`; and a mark it never got.
    link.send({ type: 'mark', name: 'part', status: 'played', playedMs: 20 });
    link.send({ type: 'mark', name: 'part', status: 'cleared', playedMs: 20 });
    link.send({ type: 'cleared', droppedMs: 10, playedMs: 20 });
    link.send({ type: 'mark', name: 'part', status: 'cleared', playedMs: 20 });
    link.send({ type: 'mark', name: 'never-sent', status: 'played', playedMs: 20 });
    link.send({ type: 'dtmf', digit: '#', durationMs: 100, source: 'rfc4733' });
    await until(() => bot.got.some((m) => m.event === 'dtmf'));
    expect(bot.events()).toEqual(['connected', 'start', 'mark', 'mark', 'dtmf']);
    expect(bot.got.slice(2, 4).map((m) => m['mark'])).toEqual([{ name: 'part' }, { name: 'part' }]);
    expect(bot.got[4]).toMatchObject({ sequenceNumber: '4', dtmf: { track: 'inbound_track', digit: '#' } });
    expect((link as TwilioLink).stats.untranslated).toBe(1);
    link.close('caller_hangup');
  });

  it('counts malformed bot messages, answers nothing and keeps the call', async () => {
    const bot = await botServer((ws) => {
      ws.send('{not json');
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      ws.send(JSON.stringify({ event: 'hangup' }));
      ws.send(JSON.stringify({ event: 'media', media: { payload: '***' } }));
      ws.send(JSON.stringify({ event: 'mark', mark: { name: '' } }));
      ws.send(JSON.stringify({ event: 'mark', mark: { name: 'ok' } }));
    });
    const rec = recordingSink();
    const link = (await connectTwilioAgent(options(bot.url), rec.sink)) as TwilioLink;
    await until(() => rec.messages.length === 1 && bot.got.length >= 2);
    expect(link.stats.badMessages).toBe(5);
    expect(rec.messages).toEqual([{ type: 'mark', name: 'ok' }]);
    expect(rec.closes).toEqual([]);
    expect(bot.events()).toEqual(['connected', 'start']);
    link.close('caller_hangup');
  });

  it('after interrupted: echoes pending marks, drops the bot\'s stale turn until speech_stopped, then clears and plays', async () => {
    const bot = await botServer();
    const rec = recordingSink();
    const link = (await connectTwilioAgent(options(bot.url), rec.sink)) as TwilioLink;
    await until(() => bot.bot() !== undefined);
    const say = (msg: object): void => bot.bot()?.send(JSON.stringify(msg));
    say({ event: 'media', media: { payload: ulaw(160) } });
    say({ event: 'mark', mark: { name: 'a' } });
    say({ event: 'mark', mark: { name: 'b' } });
    await until(() => rec.messages.length === 2);
    // Gateway barge-in: `a` came back cleared first; `interrupted` lists both.
    link.send({ type: 'mark', name: 'a', status: 'cleared', playedMs: 20 });
    link.send({ type: 'interrupted', playedMs: 20, droppedMs: 0, marks: ['a', 'b'] });
    await until(() => bot.events().filter((e) => e === 'mark').length === 2);
    // The bot, unaware, goes on with the old turn: its audio is dropped, its mark echoed at once.
    say({ event: 'media', media: { payload: ulaw(800) } });
    say({ event: 'mark', mark: { name: 'c' } });
    await until(() => bot.events().filter((e) => e === 'mark').length === 3);
    expect(bot.got.filter((m) => m.event === 'mark').map((m) => (m['mark'] as Json)['name'])).toEqual(['a', 'b', 'c']);
    expect(rec.audio).toHaveLength(1);
    expect(link.stats.staleDroppedMs).toBe(100);
    // The caller stops speaking: the link clears for the bot, and its answer plays.
    link.send({ type: 'speech_stopped', atMs: 3000 });
    expect(rec.messages.at(-1)).toEqual({ type: 'clear' });
    say({ event: 'media', media: { payload: ulaw(160) } });
    say({ event: 'mark', mark: { name: 'answer' } });
    await until(() => rec.audio.length === 2 && rec.messages.length === 4);
    expect(rec.messages.map((m) => m.type)).toEqual(['mark', 'mark', 'clear', 'mark']);
    link.close('caller_hangup');
  });

  it('after interrupted, the bot\'s own clear ends the stale turn', async () => {
    const bot = await botServer();
    const rec = recordingSink();
    const link = (await connectTwilioAgent(options(bot.url), rec.sink)) as TwilioLink;
    await until(() => bot.bot() !== undefined);
    link.send({ type: 'interrupted', playedMs: 0, droppedMs: 0, marks: [] });
    bot.bot()?.send(JSON.stringify({ event: 'media', media: { payload: ulaw(160) } }));
    bot.bot()?.send(JSON.stringify({ event: 'clear' }));
    bot.bot()?.send(JSON.stringify({ event: 'media', media: { payload: ulaw(160) } }));
    await until(() => rec.audio.length === 1);
    expect(rec.messages).toEqual([{ type: 'clear' }]);
    expect(link.stats.staleDroppedMs).toBe(20);
    link.send({ type: 'speech_stopped', atMs: 3000 }); // nothing left to end
    expect(rec.messages).toEqual([{ type: 'clear' }]);
    link.close('caller_hangup');
  });

  it('tells the call when the bot goes away, and sends stop then closes when we close', async () => {
    const first = await botServer();
    const rec = recordingSink();
    await connectTwilioAgent(options(first.url), rec.sink);
    await until(() => first.bot() !== undefined);
    first.bot()?.close(1000, 'bye');
    await until(() => rec.closes.length === 1);
    expect(rec.closes).toEqual(['agent_closed']);

    let closedCode = 0;
    const second = await botServer((ws) => ws.on('close', (code) => (closedCode = code)));
    const rec2 = recordingSink();
    const link = (await connectTwilioAgent(options(second.url), rec2.sink)) as TwilioLink;
    link.send({ type: 'stop', reason: 'caller_hangup' });
    link.close('caller_hangup'); // idempotent
    link.sendAudio(new Int16Array(480)); // after close: nothing
    await until(() => closedCode !== 0);
    expect(second.events()).toEqual(['connected', 'start', 'stop']);
    expect(second.got[2]).toEqual({ event: 'stop', sequenceNumber: '2', streamSid: link.sids.streamSid, stop: { accountSid: link.sids.accountSid, callSid: link.sids.callSid } });
    expect(closedCode).toBe(1000);
    expect(rec2.closes).toEqual([]);
  });
});

describe('TwilioLink uplink queue', () => {
  it('drops the oldest caller audio when the bot does not read and counts it; chunk numbers show the gap', () => {
    const sent: string[] = [];
    const fake = {
      readyState: WebSocket.OPEN,
      bufferedAmount: 1_000_000, // the bot stopped reading: the socket is full
      on: () => fake,
      send: (data: string) => sent.push(data),
      close: () => undefined,
      terminate: () => undefined,
    };
    const link = new TwilioLink(fake as unknown as WebSocket, options('ws://x'), recordingSink().sink);
    const before = sent.length; // connected, start
    for (let i = 0; i < 10; i++) link.sendAudio(new Int16Array(480).fill(i * 100));
    // maxUplinkMs 100 = 5 chunks: 5 dropped, none written.
    expect(link.stats.uplinkDroppedFrames).toBe(5);
    expect(sent.length).toBe(before);
    fake.bufferedAmount = 0;
    link.sendAudio(new Int16Array(480));
    const media = sent.slice(before).map((s) => JSON.parse(s) as { sequenceNumber: string; media: { chunk: string; timestamp: string } });
    expect(media.map((m) => m.media.chunk)).toEqual(['7', '8', '9', '10', '11']);
    expect(media.map((m) => m.media.timestamp)).toEqual(['120', '140', '160', '180', '200']);
    expect(media.map((m) => m.sequenceNumber)).toEqual(['2', '3', '4', '5', '6']);
    link.close('caller_hangup');
  });
});
