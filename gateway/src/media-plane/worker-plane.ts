/**
 * The media plane spread over worker threads: each worker runs a LocalMediaPlane with its own media clock over a
 * slice of the RTP port range, so calls' media (RTP I/O, codecs, resampling, speech detection, agent links) runs
 * on every core while the main thread keeps SIP. A call lives on one worker for its whole life (the least loaded
 * at admission); only call events cross threads, never audio. A worker that dies ends its calls (BYE with
 * reason `error`) and is replaced, and the gateway keeps serving.
 */
import { agentSecureContext, type AgentTlsMaterial } from '../agent/agent-tls.js';
import { SRTP_FAILURES } from '../media/srtp/types.js';
import { Worker } from 'node:worker_threads';
import type { GatewayMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { EndReason } from '../call/vocabulary.js';
import { PortPoolExhaustedError } from '../media/port-pool.js';
import { epochNowMs } from '../media/pre-answer-sources.js';
import { HopMetrics } from '../metrics/hop-metrics.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import type { CallPlan } from '../call/plan.js';
import type { MediaPlaneConfig } from './local-plane.js';
import type { AdapterBlock, AgentConnectReport, ConsultStep, MonitorStep, MediaCallInfo, MediaPlane, MediaPlaneEvents, MediaPlaneStats, RuntimeAdapters, RuntimeAgentTls, TakeBackOutcome } from './plane.js';
import type { FromWorker, MediaWorkerData, ToWorker, WorkerCommand, WorkerFailure, WorkerRequest } from './worker-protocol.js';

export interface WorkerMediaPlaneOptions {
  workers: number;
  config: MediaPlaneConfig;
  /** The numbers, for the adapters each worker builds for itself. */
  numbers: MediaWorkerData['numbers'];
  /** Where adapters read their secrets. */
  env: MediaWorkerData['env'];
  ports: { min: number; max: number };
  logger: Logger;
  events: MediaPlaneEvents;
  silero: boolean;
  /** Time calls' turns for their traces. */
  trace?: boolean;
  /** How long a worker may take to load its codecs and models. */
  startTimeoutMs?: number;
}

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };
/** A message without its envelope (distributes over the union). */
type Body<M> = M extends ToWorker ? Omit<M, 'id' | 'type'> : never;
type RequestBody = Body<WorkerRequest>;
type CommandBody = Body<WorkerCommand>;

export class MediaWorkerError extends Error {
  readonly code = 'MEDIA_WORKER_FAILED';
}

/** One worker thread and the calls it carries. */
class MediaWorker {
  readonly calls = new Set<string>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private worker!: Worker;
  ready!: Promise<void>;
  private stopping = false;

  constructor(
    private data: MediaWorkerData,
    private readonly plane: WorkerMediaPlane,
    private readonly logger: Logger,
    private readonly startTimeoutMs: number,
  ) {
    this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./bootstrap.mjs', import.meta.url), { workerData: this.data, name: `patchbay-media-${this.data.index}` });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new MediaWorkerError(`media worker ${this.data.index} did not start within ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
      const onMessage = (msg: FromWorker): void => {
        if (msg.type !== 'ready' && msg.type !== 'failed') return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        if (msg.type === 'ready') resolve();
        else reject(new MediaWorkerError(`media worker ${this.data.index} failed to start: ${msg.message}`));
      };
      worker.on('message', onMessage);
    });
    this.ready.catch(() => undefined); // observed by the plane's ready(); a later respawn's failure is logged on exit
    worker.on('message', (msg: FromWorker) => this.receive(msg));
    worker.on('error', (err) => this.logger.error({ err, worker: this.data.index }, 'media worker crashed'));
    worker.on('exit', (code) => this.exited(code));
  }

  request<T>(body: RequestBody): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...body, type: 'request', id } as ToWorker);
    });
  }

  command(cmd: CommandBody): void {
    this.worker.postMessage({ ...cmd, type: 'command' } as ToWorker);
  }

  /** New `agents.tls` material: now, and for this worker's next start after a crash. */
  setAgentTls(material: AgentTlsMaterial | undefined): void {
    this.data = { ...this.data, config: { ...this.data.config, agentTls: material } };
    this.command({ method: 'agent-tls', tls: material });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    try {
      await this.request({ method: 'shutdown' });
    } finally {
      await this.worker.terminate();
    }
  }

  private receive(msg: FromWorker): void {
    switch (msg.type) {
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(fromFailure(msg.failure));
        return;
      }
      case 'hangup':
        this.plane.events.hangup(msg.callId, msg.reason);
        return;
      case 'transfer':
        this.plane.events.transfer(msg.callId, msg.target);
        return;
      case 'agent-failed':
        this.plane.events.agentFailed(msg.callId, msg.cause);
        return;
      case 'warm-transfer':
        this.plane.events.warmTransfer(msg.callId, msg.msg);
        return;
      case 'ended':
        this.plane.events.ended(msg.callId, msg.pattern, msg.bargeIn, msg.quality);
        return;
      case 'trace':
        this.plane.events.trace(msg.callId, msg.event);
        return;
      case 'timeline':
        this.plane.events.timeline(msg.callId, msg.event);
        return;
      default:
        return;
    }
  }

  private exited(code: number): void {
    const lost = [...this.calls];
    this.calls.clear();
    for (const p of this.pending.values()) p.reject(new MediaWorkerError(`media worker ${this.data.index} exited (code ${code})`));
    this.pending.clear();
    if (this.stopping) return;
    this.logger.error({ worker: this.data.index, code, calls: lost.length }, 'media worker exited; ending its calls and starting a new one');
    for (const callId of lost) this.plane.events.hangup(callId, 'error');
    this.spawn();
    // The adapters added at runtime, again in the new worker.
    void this.ready
      .then(() => Promise.all([...this.plane.runtimeAdapters].map(([key, spec]) => this.request({ method: 'add-adapter', key, spec }))))
      .catch((err: unknown) => this.logger.error({ err, worker: this.data.index }, 'media worker restart: adding runtime adapters failed'));
    this.ready.catch((err: unknown) => this.logger.error({ err, worker: this.data.index }, 'media worker restart failed'));
  }
}

export class WorkerMediaPlane implements MediaPlane, RuntimeAdapters, RuntimeAgentTls {
  private readonly workers: MediaWorker[];
  /** Adapters added at runtime, by key: a worker started later gets them too. */
  readonly runtimeAdapters = new Map<string, AdapterBlock>();
  /** The worker carrying each call. */
  private readonly byCall = new Map<string, MediaWorker>();

  constructor(private readonly options: WorkerMediaPlaneOptions) {
    const slices = portSlices(options.ports.min, options.ports.max, options.workers);
    // media-worker.ts from source, media-worker.js from the build (scripts/build.mjs keeps the two side by side).
    const entry = new URL(`./media-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
    const logLevel = options.logger.level;
    this.workers = slices.map(
      (ports, index) =>
        new MediaWorker(
          { index, config: options.config, numbers: options.numbers, env: options.env, ports, logLevel, silero: options.silero, trace: options.trace ?? false, entry },
          this,
          options.logger,
          options.startTimeoutMs ?? 30_000,
        ),
    );
  }

  get events(): MediaPlaneEvents {
    return this.options.events;
  }

  /** Resolves once every worker has loaded its codecs; rejects (after stopping them) if one cannot. */
  async ready(): Promise<void> {
    try {
      await Promise.all(this.workers.map((w) => w.ready));
    } catch (err) {
      await Promise.allSettled(this.workers.map((w) => w.stop()));
      throw err;
    }
  }

  async open(info: MediaCallInfo): Promise<{ rtpPort: number }> {
    // Least loaded first; a worker whose port slice is full passes the call to the next. A call to be joined with
    // another (`near`) goes where that one runs: a bridge relays frames in memory, within one thread.
    const near = info.near === undefined ? undefined : this.byCall.get(info.near);
    const order = near !== undefined ? [near] : [...this.workers].sort((a, b) => a.calls.size - b.calls.size);
    for (const worker of order) {
      worker.calls.add(info.callId);
      this.byCall.set(info.callId, worker);
      try {
        const opened = await worker.request<{ rtpPort: number }>({ method: 'open', info });
        // Closed while the worker was binding: its close may have overtaken the open there, so close again.
        if (this.byCall.get(info.callId) !== worker) worker.command({ method: 'close', callId: info.callId, reason: 'cancelled' });
        return opened;
      } catch (err) {
        worker.calls.delete(info.callId);
        this.byCall.delete(info.callId);
        if (!(err instanceof PortPoolExhaustedError)) throw err;
      }
    }
    throw new PortPoolExhaustedError(this.options.ports.min, this.options.ports.max);
  }

  async connect(callId: string): Promise<AgentConnectReport | undefined> {
    const worker = this.byCall.get(callId);
    return worker ? worker.request<AgentConnectReport | undefined>({ method: 'connect', callId }) : undefined;
  }

  async fallback(callId: string, to: 'bridge' | 'apology'): Promise<boolean> {
    const worker = this.byCall.get(callId);
    return worker ? worker.request<boolean>({ method: 'fallback', callId, to }) : false;
  }

  async handOver(callId: string): Promise<boolean> {
    const worker = this.byCall.get(callId);
    return worker ? worker.request<boolean>({ method: 'hand-over', callId }) : false;
  }

  async takeBack(callId: string, plan: CallPlan): Promise<TakeBackOutcome> {
    const worker = this.byCall.get(callId);
    return worker ? worker.request<TakeBackOutcome>({ method: 'take-back', callId, plan }) : 'none';
  }

  async consult(callId: string, step: ConsultStep): Promise<boolean> {
    const worker = this.byCall.get(callId);
    return worker ? worker.request<boolean>({ method: 'consult', callId, step }) : false;
  }

  async monitor(callId: string, step: MonitorStep): Promise<boolean> {
    const worker = this.byCall.get(callId);
    return worker ? worker.request<boolean>({ method: 'monitor', callId, step }) : false;
  }

  async join(a: string, b: string): Promise<boolean> {
    const worker = this.byCall.get(a);
    if (worker === undefined || worker !== this.byCall.get(b)) return false;
    return worker.request<boolean>({ method: 'join', a, b });
  }

  /** Stamped here, on the main thread, when the answer went out: the worker may see the command after the caller's RTP. */
  answered(callId: string): void {
    this.byCall.get(callId)?.command({ method: 'answered', callId, atMs: epochNowMs() });
  }

  start(callId: string, negotiated: NegotiatedMedia): void {
    this.byCall.get(callId)?.command({ method: 'start', callId, negotiated });
  }

  update(callId: string, negotiated: NegotiatedMedia): void {
    this.byCall.get(callId)?.command({ method: 'update', callId, negotiated });
  }

  dtmf(callId: string, digit: string, durationMs: number): void {
    this.byCall.get(callId)?.command({ method: 'dtmf', callId, digit, durationMs });
  }

  sendDtmf(callId: string, digits: string, durationMs: number): void {
    this.byCall.get(callId)?.command({ method: 'send-dtmf', callId, digits, durationMs });
  }

  tellAgent(callId: string, msg: GatewayMessage): void {
    this.byCall.get(callId)?.command({ method: 'tell', callId, msg });
  }

  close(callId: string, reason: EndReason): void {
    const worker = this.byCall.get(callId);
    if (!worker) return;
    this.byCall.delete(callId);
    worker.calls.delete(callId);
    worker.command({ method: 'close', callId, reason });
  }

  async addAdapter(key: string, spec: AdapterBlock): Promise<void> {
    this.runtimeAdapters.set(key, spec);
    try {
      await Promise.all(this.workers.map((w) => w.request({ method: 'add-adapter', key, spec })));
    } catch (err) {
      this.removeAdapter(key);
      throw err;
    }
  }

  setAgentTls(material: AgentTlsMaterial | undefined): void {
    agentSecureContext(material); // throws here, in the caller's thread, if unusable (the workers keep theirs)
    for (const w of this.workers) w.setAgentTls(material);
  }

  removeAdapter(key: string): void {
    this.runtimeAdapters.delete(key);
    for (const w of this.workers) w.request({ method: 'remove-adapter', key }).catch(() => undefined); // a dead worker has none
  }

  async stats(newWindow: boolean): Promise<MediaPlaneStats> {
    const parts = await Promise.all(this.workers.map((w) => w.request<MediaPlaneStats>({ method: 'stats', newWindow })));
    const hops = new HopMetrics();
    const out: MediaPlaneStats = {
      hops: hops.state(),
      clockLateTicks: 0,
      clockStalls: 0,
      portsInUse: 0,
      activeCalls: 0,
      agentQueuedFrames: 0,
      rtpRejectedPackets: 0,
      rtpRejectedSources: 0,
      srtpFailures: { auth: 0, replay: 0, malformed: 0 },
    };
    for (const part of parts) {
      hops.merge(part.hops);
      out.clockLateTicks += part.clockLateTicks;
      out.clockStalls += part.clockStalls;
      out.portsInUse += part.portsInUse;
      out.activeCalls += part.activeCalls;
      out.agentQueuedFrames += part.agentQueuedFrames;
      out.rtpRejectedPackets += part.rtpRejectedPackets;
      out.rtpRejectedSources += part.rtpRejectedSources;
      for (const failure of SRTP_FAILURES) out.srtpFailures[failure] += part.srtpFailures[failure];
    }
    out.hops = hops.state();
    return out;
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.stop()));
    this.byCall.clear();
  }
}

/** Splits the RTP range into `n` contiguous slices of whole even/odd pairs. */
export function portSlices(min: number, max: number, n: number): { min: number; max: number }[] {
  const first = min % 2 === 0 ? min : min + 1;
  const pairs = Math.floor((max - first + 1) / 2);
  if (pairs < n) throw new MediaWorkerError(`media.portMin–portMax holds ${pairs} port pairs: too few for ${n} media workers`);
  const per = Math.floor(pairs / n);
  return Array.from({ length: n }, (_, i) => {
    const lo = first + 2 * per * i;
    const hi = i === n - 1 ? first + 2 * pairs - 1 : lo + 2 * per - 1;
    return { min: lo, max: hi };
  });
}

function fromFailure(f: WorkerFailure): Error {
  switch (f.kind) {
    case 'ports-exhausted':
      return Object.assign(new PortPoolExhaustedError(0, 0), { message: f.message });
    case 'error': {
      const err = new MediaWorkerError(f.message);
      if (f.stack) err.stack = f.stack;
      return err;
    }
  }
}
