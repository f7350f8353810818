/**
 * Dials an agent's WebSocket, for every link that speaks to an agent URL (`ws-link.ts`, `twilio-link.ts`): the
 * upgrade carries the link's headers and is bounded by the handshake timeout; a refusal, a timeout and an
 * unreachable agent each fail with their own `AgentConnectError` code, and the half-open socket is torn down. A
 * `wss://` agent is verified against `secureContext` (agents.tls) or Node's CAs; a TLS failure is `AGENT_TLS` with
 * Node's TLS error code.
 */
import type { SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { AgentConnectError } from './agent-link.js';
import { tlsFailureCode } from './agent-tls.js';

export interface AgentSocketOptions {
  /** Headers of the upgrade request (call id, token, ...). */
  headers: Record<string, string>;
  handshakeTimeoutMs: number;
  /** Largest message accepted from the agent. */
  maxPayloadBytes: number;
  /** `wss://`: the CAs and client certificate (`agents.tls`, agent-tls.ts); absent: Node's defaults. Always verified. */
  secureContext?: SecureContext | undefined;
}

/**
 * Opens the socket and returns what `onOpen` makes of it. `onOpen` runs in the `open` handler itself, so a link it
 * builds is listening before any message: an agent may speak first, in the same TCP segment as its 101. If
 * `onOpen` throws, the socket is torn down and the promise rejects with `AGENT_UNKNOWN`.
 */
export function openAgentSocket<T>(url: string, options: AgentSocketOptions, onOpen: (ws: WebSocket) => T): Promise<T> {
  const ws = new WebSocket(url, {
    headers: options.headers,
    handshakeTimeout: options.handshakeTimeoutMs,
    perMessageDeflate: false,
    maxPayload: options.maxPayloadBytes,
    ...(options.secureContext === undefined ? {} : { secureContext: options.secureContext }),
  });
  return new Promise<T>((resolve, reject) => {
    const fail = (err: AgentConnectError): void => {
      ws.removeAllListeners();
      ws.on('error', () => undefined); // the socket is being torn down; late errors carry no news
      ws.terminate();
      reject(err);
    };
    ws.once('open', () => {
      ws.removeAllListeners();
      try {
        resolve(onOpen(ws));
      } catch (err) {
        fail(new AgentConnectError('AGENT_UNKNOWN', `agent ${url}: the link could not start: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      }
    });
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      fail(new AgentConnectError('AGENT_REFUSED', `agent ${url} answered the upgrade with HTTP ${res.statusCode ?? '?'}`));
    });
    ws.once('error', (err) => {
      const tlsCode = tlsFailureCode(err);
      if (tlsCode !== undefined) {
        fail(new AgentConnectError('AGENT_TLS', `agent ${url}: TLS failed (${tlsCode}): ${err.message}`, { cause: err, tlsCode }));
        return;
      }
      const timeout = /handshake has timed out/i.test(err.message);
      fail(new AgentConnectError(timeout ? 'AGENT_TIMEOUT' : 'AGENT_UNREACHABLE', `agent ${url}: ${err.message}`, { cause: err }));
    });
  });
}
