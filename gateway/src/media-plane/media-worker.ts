/**
 * A media worker thread: runs a LocalMediaPlane over its slice of the RTP port range, with its own media clock,
 * and serves the main thread's WorkerMediaPlane. Loads the wasm codecs and models before it reports ready.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadDemoPrompts } from '@patchbay/agents';
import type { LevelWithSilent } from 'pino';
import { loadAdapters } from '../agent/adapters.js';
import { createLogger } from '../logger.js';
import { loadResampler } from '../media/audio/resampler.js';
import { PortPoolExhaustedError } from '../media/port-pool.js';
import { loadSilero, loadVad } from '../media/vad/index.js';
import { LocalMediaPlane } from './local-plane.js';
import type { FromWorker, MediaWorkerData, ToWorker, WorkerFailure, WorkerRequest } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('media-worker.ts runs only as a worker thread');
const data = workerData as MediaWorkerData;
const post = (msg: FromWorker): void => port.postMessage(msg);

async function main(): Promise<void> {
  await loadResampler();
  await loadVad();
  const silero = data.silero ? await loadSilero() : undefined;
  loadDemoPrompts();
  const logger = createLogger({ level: data.logLevel as LevelWithSilent }).child({ worker: data.index });
  const adapters = await loadAdapters(data.numbers, data.env, logger);
  const plane = new LocalMediaPlane({
    config: data.config,
    ports: data.ports,
    logger,
    silero,
    adapters,
    trace: data.trace,
    env: data.env,
    events: {
      hangup: (callId, reason) => post({ type: 'hangup', callId, reason }),
      transfer: (callId, target) => post({ type: 'transfer', callId, target }),
      agentFailed: (callId, cause) => post({ type: 'agent-failed', callId, cause }),
      warmTransfer: (callId, msg) => post({ type: 'warm-transfer', callId, msg }),
      ended: (callId, pattern, bargeIn, quality) => post({ type: 'ended', callId, pattern, bargeIn, quality }),
      trace: (callId, event) => post({ type: 'trace', callId, event }),
      timeline: (callId, event) => post({ type: 'timeline', callId, event }),
    },
  });

  const answer = async (req: WorkerRequest): Promise<FromWorker> => {
    try {
      switch (req.method) {
        case 'open':
          return { type: 'reply', id: req.id, ok: true, value: await plane.open(req.info) };
        case 'connect':
          return { type: 'reply', id: req.id, ok: true, value: await plane.connect(req.callId) };
        case 'hand-over':
          return { type: 'reply', id: req.id, ok: true, value: await plane.handOver(req.callId) };
        case 'take-back':
          return { type: 'reply', id: req.id, ok: true, value: await plane.takeBack(req.callId, req.plan) };
        case 'fallback':
          return { type: 'reply', id: req.id, ok: true, value: await plane.fallback(req.callId, req.to) };
        case 'join':
          return { type: 'reply', id: req.id, ok: true, value: await plane.join(req.a, req.b) };
        case 'consult':
          return { type: 'reply', id: req.id, ok: true, value: await plane.consult(req.callId, req.step) };
        case 'monitor':
          return { type: 'reply', id: req.id, ok: true, value: await plane.monitor(req.callId, req.step) };
        case 'stats':
          return { type: 'reply', id: req.id, ok: true, value: await plane.stats(req.newWindow) };
        case 'add-adapter':
          await plane.addAdapter(req.key, req.spec);
          return { type: 'reply', id: req.id, ok: true, value: undefined };
        case 'remove-adapter':
          plane.removeAdapter(req.key);
          return { type: 'reply', id: req.id, ok: true, value: undefined };
        case 'shutdown':
          await plane.shutdown();
          return { type: 'reply', id: req.id, ok: true, value: undefined };
      }
    } catch (err) {
      return { type: 'reply', id: req.id, ok: false, failure: toFailure(err) };
    }
  };

  port!.on('message', (msg: ToWorker) => {
    if (msg.type === 'request') {
      void answer(msg).then(post);
      return;
    }
    if (msg.method === 'agent-tls') {
      try {
        plane.setAgentTls(msg.tls);
      } catch (err) {
        logger.error({ err }, 'agents.tls: the new files cannot be used; the running ones stay');
      }
      return;
    }
    try {
      switch (msg.method) {
        case 'start':
          return plane.start(msg.callId, msg.negotiated);
        case 'update':
          return plane.update(msg.callId, msg.negotiated);
        case 'answered':
          return plane.answered(msg.callId, msg.atMs);
        case 'dtmf':
          return plane.dtmf(msg.callId, msg.digit, msg.durationMs);
        case 'send-dtmf':
          return plane.sendDtmf(msg.callId, msg.digits, msg.durationMs);
        case 'tell':
          return plane.tellAgent(msg.callId, msg.msg);
        case 'close':
          return plane.close(msg.callId, msg.reason);
      }
    } catch (err) {
      // One call's failure must not take the worker's other calls down: end that call.
      logger.error({ err, callId: msg.callId, method: msg.method }, 'media command failed');
      plane.close(msg.callId, 'error');
      post({ type: 'hangup', callId: msg.callId, reason: 'error' });
    }
  });
  post({ type: 'ready' });
}

function toFailure(err: unknown): WorkerFailure {
  if (err instanceof PortPoolExhaustedError) return { kind: 'ports-exhausted', message: err.message };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined };
}

main().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
