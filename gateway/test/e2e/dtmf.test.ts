/**
 * DTMF from a real SIP peer reaches the agent as protocol `dtmf` events: RFC 4733 telephone-events (Debian's
 * recorded RFC 2833 packets, replayed by SIPp) and SIP INFO (`application/dtmf-relay`). The number is routed to
 * an external agent URL, served here by a bare WebSocket server that records every text message the gateway
 * sends (the protocol is JSON over WebSocket; no agent library needed).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { describeRun, freePort, runSipp, SIPP_EXIT } from '../helpers/sipp.js';

const AGENT_NUMBER = '+15550100002';

interface Received {
  /** Connection index (one per call). */
  readonly call: number;
  readonly message: Record<string, unknown>;
}

/** A WebSocket agent endpoint on 127.0.0.1 that records the JSON text messages it receives. */
class RecordingAgent {
  readonly received: Received[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private calls = 0;
  private constructor(private readonly http: Server) {}

  static async start(path: string): Promise<{ agent: RecordingAgent; url: string }> {
    const http = createServer((_req, res) => res.writeHead(426).end());
    const agent = new RecordingAgent(http);
    http.on('upgrade', (req, socket, head) => {
      if (req.url?.split('?')[0] !== path) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      agent.wss.handleUpgrade(req, socket, head, (ws) => agent.accept(ws));
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    const address = http.address();
    if (address === null || typeof address === 'string') throw new Error('agent server has no port');
    return { agent, url: `ws://127.0.0.1:${address.port}${path}` };
  }

  private accept(ws: WebSocket): void {
    const call = this.calls++;
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return; // audio frames
      try {
        const message: unknown = JSON.parse(data.toString());
        if (typeof message === 'object' && message !== null && !Array.isArray(message)) {
          this.received.push({ call, message: message as Record<string, unknown> });
        }
      } catch {
        this.received.push({ call, message: { type: '<not json>', text: data.toString().slice(0, 200) } });
      }
    });
  }

  describe(): string {
    return `agent received: ${JSON.stringify(this.received.map((r) => ({ call: r.call, ...r.message })))}`;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

describe('DTMF reaches the agent', () => {
  let agent: RecordingAgent;
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    const served = await RecordingAgent.start('/bot');
    agent = served.agent;
    gw = await startTestGateway({ numbers: { [AGENT_NUMBER]: { agent: served.url } } });
  });

  afterAll(async () => {
    await gw?.close();
    await agent.close();
  });

  it('RFC 4733 telephone-events from SIPp (digits 1 then 5) arrive as dtmf events, once each, in order', async () => {
    if (gw === undefined) throw new Error('gateway did not start');
    const before = agent.received.length;
    const result = await runSipp({
      scenario: 'uac-dtmf-2833.xml',
      host: gw.host,
      port: gw.sipPort,
      transport: 'udp',
      service: AGENT_NUMBER,
      timeoutMs: 10_000,
      // SIPp sends the recorded RTP from its media port (default 6000): a free one, so parallel runs never clash.
      extraArgs: ['-mp', String(await freePort('udp'))],
    });
    expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);
    const fresh = (): Record<string, unknown>[] =>
      agent.received.slice(before).filter((r) => r.message['type'] === 'dtmf').map((r) => r.message);
    await waitFor(() => fresh().length >= 2, 3_000, () => agent.describe());
    const events = fresh();
    expect(events.map((e) => e['digit']), agent.describe()).toEqual(['1', '5']);
    for (const e of events) {
      expect(e['source']).toBe('rfc4733');
      // Each recording ends at duration 2240 timestamp units = 280 ms.
      expect(e['durationMs']).toBeGreaterThanOrEqual(200);
      expect(e['durationMs']).toBeLessThanOrEqual(400);
    }
    await gw.waitForIdle(3_000);
  }, 40_000);

  it('SIP INFO application/dtmf-relay Signal=5 arrives as a dtmf event with source sip-info', async () => {
    if (gw === undefined) throw new Error('gateway did not start');
    const before = agent.received.length;
    const result = await runSipp({
      scenario: 'uac-dtmf-info.xml',
      host: gw.host,
      port: gw.sipPort,
      transport: 'udp',
      service: AGENT_NUMBER,
      timeoutMs: 10_000,
    });
    expect(result.exitCode, describeRun(result)).toBe(SIPP_EXIT.allCallsSucceeded);
    const fresh = (): Record<string, unknown>[] =>
      agent.received.slice(before).filter((r) => r.message['type'] === 'dtmf').map((r) => r.message);
    await waitFor(() => fresh().length >= 1, 3_000, () => agent.describe());
    const events = fresh();
    expect(events, agent.describe()).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'dtmf', digit: '5', source: 'sip-info', durationMs: 160 });
    await gw.waitForIdle(3_000);
  }, 40_000);
});
