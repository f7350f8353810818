/** A `ws` client doing what the gateway does (headers, `start`, 20 ms frames), with bounded waits. */
import { AUDIO_FORMAT, FRAME_BYTES, HEADER_CALL_ID, HEADER_PROTOCOL, HEADER_TOKEN, type StartMessage } from '@patchbay/agents';
import { WebSocket, type RawData } from 'ws';

const WAIT_MS = 3000;

export interface Received {
  readonly binary: boolean;
  readonly data: Buffer;
}

export interface GatewayClient {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The next message from the agent; rejects after a bounded wait. */
  next(what: string): Promise<Received>;
  /** The next message, parsed as JSON text. */
  nextJson(what: string): Promise<unknown>;
}

export function startMessage(callId = 'call-1'): StartMessage {
  return {
    type: 'start',
    version: 1,
    callId,
    streamId: `stream-${callId}`,
    from: '+15550100001',
    to: '+15550100002',
    direction: 'inbound',
    parameters: {},
    audio: AUDIO_FORMAT,
  };
}

/** One 20 ms frame of a recognisable pattern. */
export function frame(seed: number): Buffer {
  const b = Buffer.alloc(FRAME_BYTES);
  for (let i = 0; i < FRAME_BYTES / 2; i++) b.writeInt16LE(((seed * 1000 + i * 37) % 65536) - 32768, i * 2);
  return b;
}

/** Opens `url` as the gateway would. Rejects with `HTTP <status>` when the upgrade is refused. */
export async function dial(url: string, options: { token?: string; callId?: string } = {}): Promise<GatewayClient> {
  const headers: Record<string, string> = { [HEADER_PROTOCOL]: '1' };
  if (options.callId !== undefined) headers[HEADER_CALL_ID] = options.callId;
  if (options.token !== undefined) headers[HEADER_TOKEN] = options.token;
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const items: Received[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data: RawData, binary: boolean) => {
    items.push({ binary, data: toBuffer(data) });
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode ?? 0}`));
    });
    ws.once('error', reject);
  });
  const next = async (what: string): Promise<Received> => {
    const deadline = performance.now() + WAIT_MS;
    for (;;) {
      const item = items.shift();
      if (item !== undefined) return item;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  return {
    ws,
    closed,
    next,
    async nextJson(what) {
      const got = await next(what);
      if (got.binary) throw new Error(`expected text for ${what}, got ${got.data.length} bytes of audio`);
      return JSON.parse(got.data.toString('utf8')) as unknown;
    },
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
