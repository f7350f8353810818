/**
 * Call records end to end, with the media on the main thread and on a media worker: a scripted SIP caller (PCMU,
 * paced RTP) calls an agent served over the real protocol that greets (transcript, stage, 5 s of audio and a mark),
 * is barged in on by the caller's speech, answers once the caller stops (a turn), and hears a DTMF digit (SIP INFO);
 * the caller hangs up. The record read back from the store (the real schema, in-memory SQLite) must hold what the
 * agent saw: the barge-in's playedMs equal to the agent's `interrupted`, the transcript lines it sent, the digit,
 * its stage reports, the turn, and how the call ended. Then an outbound call (CallControl.placeCall, one gateway
 * calling another) gets its own record with direction outbound.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveAgent, type AgentServer, type GatewayMessage } from '@patchbay/agents';
import { openMemoryStore } from '../../src/store/testing.js';
import type { Store } from '../../src/store/types.js';
import type { CallDetail } from '../../src/records/record.js';
import { rowsToTimeline, rowsToTranscript, rowToRecord } from '../../src/records/rows.js';
import { onsetSpeech, speechWav } from '../helpers/audio.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { sine } from '../helpers/tones.js';

const NUMBER = '+15550100007';
const CALLER_RATE = 8_000;
const AGENT_RATE = 24_000;
const ONSET_MS = 2_000;

interface AgentSide {
  callId: string;
  heard: GatewayMessage[];
}

/** The scripted agent: greets, and answers the caller's turn once it ends. */
async function scriptedAgent(calls: AgentSide[]): Promise<AgentServer> {
  const greeting = sine(AGENT_RATE, 440, -14, 5_000);
  const answer = sine(AGENT_RATE, 660, -14, 600);
  return serveAgent(
    {
      name: 'records-script',
      create: (ctx) => {
        const side: AgentSide = { callId: ctx.start.callId, heard: [] };
        calls.push(side);
        ctx.send({ type: 'transcript', role: 'agent', text: 'Hello, Patchbay clinic, how can I help?', final: true });
        ctx.send({ type: 'stage', stage: 'tts', ms: 85 });
        ctx.sendAudio(greeting.slice());
        ctx.send({ type: 'mark', name: 'greeting' });
        let answered = false;
        return {
          onAudio: () => undefined,
          onMessage: (msg) => {
            side.heard.push(msg);
            if (msg.type === 'speech_stopped' && !answered) {
              answered = true;
              ctx.send({ type: 'transcript', role: 'caller', text: 'Oh wait, one question please.', final: true });
              ctx.send({ type: 'stage', stage: 'stt', ms: 140 });
              ctx.send({ type: 'stage', stage: 'llm', ms: 310 });
              ctx.send({ type: 'clear', turnId: 'answer' });
              ctx.sendAudio(answer.slice());
              ctx.send({ type: 'mark', name: 'answer' });
            }
          },
          close: () => undefined,
        };
      },
    },
    { port: 0 },
  );
}

describe.each([0, 1])('call records with media.workers %i', (workers) => {
  let dir = '';
  let callerAudio = new Int16Array(0);
  const agentCalls: AgentSide[] = [];
  let agent: AgentServer | undefined;
  let store: Store | undefined;
  let gw: TestGateway | undefined;
  let callee: TestGateway | undefined;
  const records: CallDetail[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-records-'));
    const words = await speechWav(join(dir, 'caller.wav'), 'Oh wait, one question please.', { leadMs: 0, tailMs: 0 });
    const speech = onsetSpeech(words.samples, CALLER_RATE, -20);
    const onset = (CALLER_RATE * ONSET_MS) / 1000;
    callerAudio = new Int16Array(onset + speech.length + CALLER_RATE * 2);
    callerAudio.set(speech, onset);
    agent = await scriptedAgent(agentCalls);
    store = await openMemoryStore();
    // The outbound call's far end: another gateway, answering with the echo agent.
    callee = await startTestGateway({ numbers: { '*': { agent: 'echo' } } });
    gw = await startTestGateway(
      {
        media: { workers },
        numbers: { [NUMBER]: { agent: agent.url }, reminders: { agent: 'echo' } },
        trunks: [{ name: 'peer', outbound: { proxy: { host: '127.0.0.1', port: callee.sipPort }, allow: ['+1555'], codecs: ['PCMU'], callerId: { user: '+15550100001' } } }],
      },
      { store },
    );
    gw.gateway.records.onRecord((d) => void records.push(d));
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await callee?.close();
    await store?.close();
    await agent?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function stored(id: string): Promise<CallDetail> {
    if (store === undefined) throw new Error('no store');
    await waitFor(() => records.some((r) => r.id === id), 10_000, () => `no record for ${id}; have ${records.map((r) => r.id).join(', ')}`);
    await store.flush();
    const db = store.db;
    const row = await db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new Error(`no calls row for ${id}`);
    const events = await db.selectFrom('call_events').selectAll().where('call_id', '=', id).execute();
    const lines = await db.selectFrom('call_transcripts').selectAll().where('call_id', '=', id).execute();
    return { ...rowToRecord(row), timeline: rowsToTimeline(events), transcript: rowsToTranscript(lines) };
  }

  it('an inbound call barged in on: turns, barge-in playedMs as the agent heard it, transcript, DTMF, stages, end', async () => {
    if (gw === undefined) throw new Error('gateway did not start');
    const index = agentCalls.length;
    const sip = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER });
    try {
      await waitFor(() => agentCalls.length > index, 5_000);
      const side = agentCalls[index];
      if (side === undefined) throw new Error('the agent got no call');
      const sending = sip.sendAudio(callerAudio);
      const heard = <K extends GatewayMessage['type']>(type: K) => side.heard.filter((m): m is Extract<GatewayMessage, { type: K }> => m.type === type);
      await waitFor(() => heard('interrupted').length > 0, ONSET_MS + 4_000, () => `agent heard ${side.heard.map((m) => m.type).join(', ')}`);
      await waitFor(() => heard('mark').some((m) => m.name === 'answer'), 8_000, () => `agent heard ${side.heard.map((m) => m.type).join(', ')}`);
      await sending;
      const info = await sip.sendRequest('INFO', { headers: ['Content-Type: application/dtmf-relay'], body: 'Signal=5\r\nDuration=160\r\n' });
      expect(info.status).toBe(200);
      await waitFor(() => heard('dtmf').length > 0, 3_000);
      expect(await sip.bye()).toBe(200);

      const r = await stored(side.callId);
      const interrupted = heard('interrupted')[0];
      if (interrupted === undefined) throw new Error('no interrupted');
      expect(r).toMatchObject({
        id: side.callId,
        direction: 'inbound',
        status: 'completed',
        to: NUMBER,
        number: NUMBER,
        agent: { kind: 'websocket' },
        codec: 'PCMU',
        disposition: 'completed',
        sipStatus: 200,
        endReason: 'remote-bye',
        transfer: null,
        dtmfCount: 1,
        bargeIns: 1,
        stages: { stt: 140, llm: 310, tts: 85, realtime: null },
      });
      expect(r.turns).toBeGreaterThanOrEqual(1);
      expect(r.turnLatencyMs?.p50).toBeGreaterThan(0);
      expect(r.talkMs).toBeGreaterThan(ONSET_MS);
      expect(r.quality?.packetsExpected).toBeGreaterThan(100);
      expect(r.quality?.mos).toBeGreaterThan(1);
      const of = (type: string) => r.timeline.filter((e) => e.type === type).map((e) => e.data);
      expect(of('barge-in')).toHaveLength(1);
      expect(of('barge-in')[0]?.['playedMs']).toBe(interrupted.playedMs);
      expect(of('barge-in')[0]?.['reactionMs']).toBeGreaterThan(0);
      expect(of('dtmf')).toEqual([{ digit: '5', direction: 'in' }]);
      expect(of('mark')).toEqual(expect.arrayContaining([{ name: 'greeting', played: false }, { name: 'answer', played: true }]));
      expect(of('turn')[0]).toMatchObject({ index: 1 });
      expect(r.transcript.map((l) => [l.role, l.text, l.final])).toEqual([
        ['agent', 'Hello, Patchbay clinic, how can I help?', true],
        ['caller', 'Oh wait, one question please.', true],
      ]);
      const types = r.timeline.map((e) => e.type);
      for (const t of ['created', 'agent-connected', 'answered', 'turn', 'barge-in', 'transcript', 'media-ended', 'ended']) expect(types, t).toContain(t);
      expect(types.indexOf('created')).toBe(0);
    } finally {
      await sip.hangUp();
    }
    await gw.waitForIdle(5_000);
  }, 30_000);

  it('an outbound call (CallControl.placeCall) gets a record with direction outbound', async () => {
    if (gw === undefined) throw new Error('gateway did not start');
    const placed = await gw.gateway.calls.placeCall({ to: '+15550100002', from: '+15550100001', trunk: 'peer', agent: 'echo', number: 'reminders' });
    const live = gw.gateway.calls;
    await waitFor(() => live.get(placed.id)?.status === 'answered', 8_000, () => `status ${live.get(placed.id)?.status}`);
    live.hangup(placed.id);
    const r = await stored(placed.id);
    expect(r).toMatchObject({ id: placed.id, direction: 'outbound', status: 'completed', to: '+15550100002', trunk: 'peer', disposition: 'completed', endReason: 'local-hangup', sipStatus: 200, agent: { kind: 'echo', target: 'echo' } });
    expect(r.answeredAt).not.toBeNull();
    expect(r.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'agent-connected', 'answered', 'media-ended', 'ended']));
    await gw.waitForIdle(5_000);
  }, 20_000);
});
