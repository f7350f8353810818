/** Messages between the main thread's WorkerMediaPlane and a media worker (structured-clone data only). */
import type { AgentTlsMaterial } from '../agent/agent-tls.js';
import type { GatewayMessage } from '@patchbay/agents';
import type { BargeInStats } from '../media/barge-in.js';
import type { CallQuality } from '../media/call-quality.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import type { MediaTraceEvent } from '../media/turn-trace.js';
import type { EndReason } from '../call/vocabulary.js';
import type { Config } from '../config.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import type { CallPlan } from '../call/plan.js';
import type { MediaPlaneConfig } from './local-plane.js';
import type { AdapterBlock, AgentConnectReport, ConsultStep, MediaCallInfo, MediaPlaneStats, MonitorStep, TakeBackOutcome, WarmTransferCommand } from './plane.js';

export interface MediaWorkerData {
  index: number;
  config: MediaPlaneConfig;
  /** The numbers: each worker builds the adapters they name for itself (agents hold live state and sockets). */
  numbers: Config['numbers'];
  env: Readonly<Record<string, string | undefined>>;
  ports: { min: number; max: number };
  logLevel: string;
  /** Load the Silero model at start (some number asks for neural barge-in confirmation). */
  silero: boolean;
  /** Time calls' turns for their traces. */
  trace: boolean;
  /** The worker's TypeScript entry, imported once the bootstrap has registered the loader. */
  entry: string;
}

/** Requests answered with a reply. */
export type WorkerRequest =
  | { type: 'request'; id: number; method: 'open'; info: MediaCallInfo }
  | { type: 'request'; id: number; method: 'connect'; callId: string }
  | { type: 'request'; id: number; method: 'join'; a: string; b: string }
  | { type: 'request'; id: number; method: 'fallback'; callId: string; to: 'bridge' | 'apology' }
  | { type: 'request'; id: number; method: 'hand-over'; callId: string }
  | { type: 'request'; id: number; method: 'take-back'; callId: string; plan: CallPlan }
  | { type: 'request'; id: number; method: 'consult'; callId: string; step: ConsultStep }
  | { type: 'request'; id: number; method: 'monitor'; callId: string; step: MonitorStep }
  | { type: 'request'; id: number; method: 'stats'; newWindow: boolean }
  | { type: 'request'; id: number; method: 'shutdown' }
  /** Adapter agents added and removed at runtime (RuntimeAdapters). */
  | { type: 'request'; id: number; method: 'add-adapter'; key: string; spec: AdapterBlock }
  | { type: 'request'; id: number; method: 'remove-adapter'; key: string };

/** One-way commands. */
export type WorkerCommand =
  | { type: 'command'; method: 'start' | 'update'; callId: string; negotiated: NegotiatedMedia }
  | { type: 'command'; method: 'answered'; callId: string; atMs: number }
  | { type: 'command'; method: 'dtmf'; callId: string; digit: string; durationMs: number }
  | { type: 'command'; method: 'send-dtmf'; callId: string; digits: string; durationMs: number }
  | { type: 'command'; method: 'tell'; callId: string; msg: GatewayMessage }
  | { type: 'command'; method: 'close'; callId: string; reason: EndReason }
  /** `agents.tls` reloaded (SIGHUP). */
  | { type: 'command'; method: 'agent-tls'; tls: AgentTlsMaterial | undefined };

export type ToWorker = WorkerRequest | WorkerCommand;

export type WorkerFailure =
  | { kind: 'ports-exhausted'; message: string }
  | { kind: 'error'; message: string; stack?: string | undefined };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; ok: true; value: { rtpPort: number } | MediaPlaneStats | AgentConnectReport | TakeBackOutcome | boolean | undefined }
  | { type: 'reply'; id: number; ok: false; failure: WorkerFailure }
  | { type: 'hangup'; callId: string; reason: EndReason }
  | { type: 'transfer'; callId: string; target: string }
  | { type: 'agent-failed'; callId: string; cause: string }
  | { type: 'warm-transfer'; callId: string; msg: WarmTransferCommand }
  | { type: 'ended'; callId: string; pattern: string; bargeIn: BargeInStats; quality: CallQuality | undefined }
  | { type: 'trace'; callId: string; event: MediaTraceEvent }
  | { type: 'timeline'; callId: string; event: MediaTimelineEvent };
