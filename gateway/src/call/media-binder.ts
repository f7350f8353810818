/**
 * Ties a call's SIP life to its media and agent: dials the agent before we answer (refusing the call or playing
 * an apology when it cannot be reached), starts the media engine once the codec is known, follows re-INVITEs,
 * delivers SIP INFO DTMF, and closes everything with the reason the agent is told.
 */
import { randomUUID } from 'node:crypto';
import { apologyAgent, AUDIO_FORMAT, type StartMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import { AgentConnectError } from '../agent/agent-link.js';
import { connectAgent } from '../agent/connect.js';
import { DeferredSink } from '../agent/deferred-sink.js';
import { InProcessLink } from '../agent/in-process-link.js';
import type { Config } from '../config.js';
import { SAMPLE_RATE } from '../media/audio/frame.js';
import { CallMedia } from '../media/call-media.js';
import type { HopMetrics } from '../metrics/hop-metrics.js';
import type { SileroModel, SpeechDetectorOptions } from '../media/vad/index.js';
import { parseDtmfInfo } from '../media/dtmf/sip-info.js';
import type { MediaClock } from '../media/media-clock.js';
import { getHeader, type SipRequest } from '../sip/message.js';
import { CallRejection } from './admission.js';
import type { Call, EndReason } from './call.js';

export interface MediaBinderOptions {
  config: Config;
  clock: MediaClock;
  logger: Logger;
  /** Ends the call from our side (BYE). */
  hangup: (call: Call, reason: EndReason) => void;
  /** Loaded at start-up when any number asks for neural confirmation of barge-in. */
  silero?: SileroModel | undefined;
  hops: HopMetrics;
}

/** What the agent's `stop` says for each way a call ends. */
const STOP_REASON: Readonly<Record<EndReason, string>> = {
  'remote-bye': 'caller_hangup',
  cancelled: 'caller_hangup',
  'local-hangup': 'agent_hangup',
  'agent-hangup': 'agent_hangup',
  'agent-gone': 'agent_closed',
  shutdown: 'gateway_shutdown',
  'rtp-timeout': 'rtp_timeout',
  'no-ack': 'error',
  'bad-answer': 'error',
  error: 'error',
};

export class MediaBinder {
  constructor(private readonly options: MediaBinderOptions) {}

  /** Dials the call's agent. Throws a CallRejection when it is unreachable and the policy is `reject`. */
  async connect(call: Call): Promise<void> {
    const { config, logger } = this.options;
    const route = call.admission.route;
    const start: StartMessage = {
      type: 'start',
      version: 1,
      callId: call.id,
      streamId: randomUUID(),
      from: call.admission.from,
      to: call.admission.number,
      direction: 'inbound',
      parameters: route.parameters,
      audio: AUDIO_FORMAT,
    };
    const sink = new DeferredSink((config.media.maxPlayoutMs * SAMPLE_RATE) / 1000);
    call.agentSink = sink;
    const log = logger.child({ callId: call.id });
    const began = performance.now();
    try {
      call.agent = await connectAgent({ agent: route.agent, start, config, logger: log }, sink);
      log.info({ agent: call.agent.kind, connectMs: Math.round(performance.now() - began) }, 'agent connected');
    } catch (err) {
      if (!(err instanceof AgentConnectError)) throw err;
      const policy = route.onAgentFailure ?? config.agents.onFailure;
      log.warn({ code: err.code, reason: err.message, policy }, 'agent unreachable');
      if (policy === 'reject') {
        const status = config.agents.rejectStatus;
        const retry = status === 503 ? [{ name: 'Retry-After', value: String(config.sip.retryAfterSeconds) }] : [];
        throw new CallRejection(status, `${status === 503 ? 'Service Unavailable' : 'Temporarily Unavailable'} - agent unreachable`, retry, 'CALL_AGENT_UNAVAILABLE');
      }
      call.agent = new InProcessLink(apologyAgent, start, sink, log);
    }
    if (call.state === 'ended') this.close(call, call.endReason ?? 'cancelled');
  }

  /** Starts RTP ↔ agent once the codec is negotiated (at answer, or at the ACK of a late offer). */
  start(call: Call): void {
    const negotiated = call.sdp?.negotiated;
    if (call.media || !negotiated || !call.ports || call.state === 'ended') return;
    const route = call.admission.route;
    const { config } = this.options;
    const media = new CallMedia({
      callId: call.id,
      hops: this.options.hops,
      bargeIn: {
        // Echoing the caller is the agent talking while the caller talks: never a barge-in.
        mode: route.bargeIn ?? (route.agent === 'echo' ? 'off' : config.media.bargeIn),
        speech: detectorOptions({ ...config.media.speech, ...route.speech }),
        confirm: pickConfirm({ ...config.media.speech, ...route.speech }),
        silero: this.options.silero,
        guardMs: config.media.interruptGuardMs,
      },
      ports: call.ports,
      negotiated,
      clock: this.options.clock,
      settings: this.options.config.media,
      logger: this.options.logger.child({ callId: call.id, layer: 'media' }),
      events: {
        onHangupRequest: () => this.options.hangup(call, 'agent-hangup'),
        onAgentGone: () => this.options.hangup(call, 'agent-gone'),
        onRtpTimeout: () => this.options.hangup(call, 'rtp-timeout'),
      },
    });
    call.media = media;
    if (call.agent) media.attachAgent(call.agent);
    call.agentSink?.attach(media);
    media.start();
  }

  /** After a re-INVITE (or the ACK answering our re-offer): follow the new session. */
  update(call: Call): void {
    const negotiated = call.sdp?.negotiated;
    if (!negotiated) return;
    if (call.media) call.media.update(negotiated);
    else this.start(call);
  }

  /** SIP INFO inside the call: DTMF relay. */
  info(call: Call, req: SipRequest): void {
    const dtmf = parseDtmfInfo(getHeader(req, 'content-type'), req.body.toString('utf8'));
    if (dtmf) call.media?.dtmfFromInfo(dtmf.digit, dtmf.durationMs);
  }

  close(call: Call, reason: EndReason): void {
    const stop = STOP_REASON[reason];
    if (call.media) call.media.close(stop);
    else call.agent?.close(stop);
  }
}

type SpeechConfig = NonNullable<Config['numbers'][string]['speech']>;

/** The cheap detector's options from the merged speech settings (keys left unset are the detector's defaults). */
function detectorOptions(s: SpeechConfig): Omit<SpeechDetectorOptions, 'sampleRate'> {
  const { confirm: _confirm, confirmThreshold: _threshold, ...rest } = s;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<SpeechDetectorOptions, 'sampleRate'>;
}

function pickConfirm(s: SpeechConfig): { threshold: number } | undefined {
  return s.confirm === 'silero' ? { threshold: s.confirmThreshold ?? 0.5 } : undefined;
}
