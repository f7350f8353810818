/** The media and agent sections of the configuration. */
import { z } from 'zod';
import { ENV_NAME, resolveSecret, type Env } from './config-secret.js';
import { LATCH_POLICIES } from './media/rtp-endpoint.js';
import { agentTlsSchema } from './config-http.js';
import { SRTP_SUITE_PREFERENCE, SRTP_SUITES, type SrtpSuite } from './media/srtp/types.js';
import { SRTP_POLICIES } from './sdp/types.js';

export const CODECS = ['PCMU', 'PCMA', 'G722', 'opus'] as const;

export const codecList = z
  .array(z.enum(CODECS))
  .min(1)
  .refine((c) => new Set(c).size === c.length, 'must not list a codec twice');

/** SRTP with SDES keys (docs/srtp.md): `off`, `optional` (RTP/SAVP when offered), `required` (RTP/SAVP only, both ways). */
export const srtpPolicy = z.enum(SRTP_POLICIES);

const srtpSuite = z.enum(Object.keys(SRTP_SUITES) as [SrtpSuite, ...SrtpSuite[]]);

/** `reject`: refuse the call before answering (`agents.rejectStatus`); `apology`: answer, apologise, hang up. */
export const onAgentFailure = z.enum(['reject', 'apology']);

/**
 * Agent failover mid-call (agent-failover/; docs/forwarding.md §Failover): how a failing agent is noticed and how
 * many times it is re-dialled before the call's chain moves on (forward to people, then the apology). Each key of a
 * number's `failover` overrides `agents.failover`'s.
 */
export const failoverSettings = z.strictObject({
  /** Re-dials of the agent (with `start.resume`) before the chain moves on; 0: straight on. */
  redial: z.int().min(0).max(3).optional(),
  /** An agent that hangs up within this many seconds of connecting without having sent any audio failed; 0: off. */
  earlyHangupS: z.number().min(0).max(60).optional(),
  /** The caller stopped speaking and the agent sent no audio and no message for this long: it failed; 0: off. */
  silenceS: z.number().min(0).max(600).optional(),
});

/** `gateway`: the gateway stops the agent's audio itself; `agent`: it only signals speech; `off`: neither. */
export const bargeInMode = z.enum(['off', 'gateway', 'agent']);

/** Caller speech detection, per number or as the default under `media.speech`. */
export const speechSettings = z.strictObject({
  /** WebRTC VAD aggressiveness, 0 (least) to 3 (most). */
  vadMode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  /** How far above the call's noise floor speech must be. */
  marginDb: z.number().min(0).max(40).optional(),
  /** Speech needed before an onset counts (kept short: barge-in must react within 120 ms). */
  minSpeechMs: z.int().min(20).max(1000).optional(),
  /** Silence after which speech has stopped. */
  hangoverMs: z.int().min(20).max(5000).optional(),
  /** Onsets this soon after the agent starts speaking are ignored (its own echo, a caller's "uh-huh"). */
  graceMs: z.int().min(0).max(5000).optional(),
  /** Ask a neural VAD (Silero, optional dependency) before an onset counts; adds under a millisecond of inference and up to one 20 ms tick. */
  confirm: z.enum(['none', 'silero']).optional(),
  /** Silero speech probability an onset needs. */
  confirmThreshold: z.number().min(0).max(1).optional(),
});

const mediaPort = z.int().min(1).max(65535);

export function mediaSchema() {
  return z
    .strictObject({
      portMin: mediaPort
        .refine((p) => p % 2 === 0, 'must be even (RTP uses even ports, RTCP the next odd one)')
        .default(20000),
      portMax: mediaPort.default(30000),
      /**
       * Worker threads carrying calls' media (RTP, codecs, resampling, speech detection, agent links); 0 keeps it
       * on the main event loop with SIP. `auto`: one per core beyond the first.
       */
      workers: z.union([z.literal('auto'), z.int().min(0).max(64)]).default(0),
      codecs: codecList.default(['G722', 'PCMU', 'PCMA', 'opus']),
      ptimeMs: z.int().min(10).max(60).multipleOf(10).default(20),
      /**
       * How the caller's audio is put in order before the agent gets it. `immediate` (default): each packet goes to
       * the agent the moment it arrives in sequence; a packet ahead of a missing one waits at most one packet time
       * (+5 ms) for it, then the gap is concealed. Agents listen but do not play, so de-jittering only delays them.
       * `adaptive`: a jitter buffer between `minMs` and `maxMs` deep (starting at `startMs`), popped at the caller's
       * packet time, depth changing only in pauses: smooth audio for a listener that plays it, at 20–200 ms of delay.
       */
      jitter: z
        .strictObject({
          mode: z.enum(['immediate', 'adaptive']).default('immediate'),
          minMs: z.int().min(0).max(1000).default(20),
          maxMs: z.int().min(20).max(2000).default(200),
          startMs: z.int().min(0).max(2000).default(40),
        })
        .refine((j) => j.minMs <= j.startMs && j.startMs <= j.maxMs, 'needs minMs <= startMs <= maxMs')
        .prefault({}),
      /**
       * The Opus encoder (docs/codecs.md). Defaults measured for telephony: `restricted_lowdelay` (CELT only),
       * complexity 1, no in-band FEC — ~25 µs per 20 ms frame against ~190 µs for `voip` with FEC, spectral distance
       * and correlation no worse on speech. `fec: true` (the far end rebuilds a lost packet from the next one) needs
       * `voip` or `audio`: FEC exists only in Opus's SILK and hybrid modes, and costs their CPU.
       */
      opus: z
        .strictObject({
          application: z.enum(['restricted_lowdelay', 'voip', 'audio']).default('restricted_lowdelay'),
          complexity: z.int().min(0).max(10).default(1),
          fec: z.boolean().default(false),
          /** Expected loss the FEC is sized for, %. */
          packetLossPercent: z.int().min(0).max(100).default(10),
          bitrate: z.int().min(6000).max(510_000).default(32_000),
        })
        .refine((o) => !o.fec || o.application !== 'restricted_lowdelay', 'fec: true needs application voip or audio (Opus has in-band FEC only in its SILK and hybrid modes)')
        .prefault({}),
      /** Agent audio gathered before a talk spurt starts playing, to ride out the agent's send jitter. */
      leadMs: z.int().min(0).max(500).default(40),
      /** Agent audio the gateway buffers at most; more is dropped and the agent is told (`playout_overflow`). */
      maxPlayoutMs: z.int().min(1000).max(600_000).default(120_000),
      /** Caller audio queued towards a slow agent at most; the oldest is dropped beyond (`uplink_overflow`). */
      maxUplinkMs: z.int().min(100).max(60_000).default(2000),
      rtcpIntervalMs: z.int().min(500).max(60_000).default(5000),
      /** Default barge-in for numbers that do not set one (the built-in `echo` defaults to `off`). */
      bargeIn: bargeInMode.default('gateway'),
      /** Default speech detection settings; a number's `speech` overrides them key by key. */
      speech: speechSettings.prefault({}),
      /** After a barge-in, agent audio still in flight is dropped until the agent's `clear`, or for this long. */
      interruptGuardMs: z.int().min(0).max(5000).default(500),
      /** A call whose caller sends no RTP for this long is ended (0: never). */
      rtpTimeoutMs: z.int().min(0).default(60_000),
      /**
       * Which source a call's RTP may come from (the gateway then sends to it): `strict` only the SDP's address and
       * port; `signalling-ip` (default) also any port of the SDP's address or of the address the call's SIP came
       * from (callers behind NAT); `any` the first valid source. Never a source sending before the answer went out,
       * and other than the SDP's exact address only in the first 2 s of media.
       */
      latch: z.enum(LATCH_POLICIES).default('signalling-ip'),
      /** SRTP policy of calls whose number and trunk set none (docs/srtp.md). */
      srtp: srtpPolicy.default('optional'),
      /** SRTP suites we accept and offer, in preference order (an answer takes the first of these offered). */
      srtpSuites: z
        .array(srtpSuite)
        .min(1)
        .refine((s) => new Set(s).size === s.length, 'must not list a suite twice')
        .default([...SRTP_SUITE_PREFERENCE]),
    })
    .superRefine((m, ctx) => {
      if (m.portMax <= m.portMin) {
        ctx.addIssue({ code: 'custom', path: ['portMax'], message: 'must be greater than portMin (at least 2 ports)' });
      }
      if (m.jitter.maxMs < m.jitter.minMs) {
        ctx.addIssue({ code: 'custom', path: ['jitter', 'maxMs'], message: 'must be >= minMs' });
      }
    })
    .prefault({});
}

export function agentsSchema(env: Env) {
  return z
    .strictObject({
      /** HMAC secret for the per-call token sent to external agents (`X-Patchbay-Token`); prefer tokenSecretEnv. */
      tokenSecret: z.string().min(16, 'must be at least 16 characters').optional(),
      tokenSecretEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
      connectTimeoutMs: z.int().min(100).max(30_000).default(3000),
      onFailure: onAgentFailure.default('apology'),
      failover: failoverSettings.default({}).transform((f) => ({ redial: f.redial ?? 1, earlyHangupS: f.earlyHangupS ?? 2, silenceS: f.silenceS ?? 15 })),
      rejectStatus: z.union([z.literal(480), z.literal(503)]).default(503),
      /** CA and client certificate for `wss://` agents (config-http.ts; docs/http.md). */
      tls: agentTlsSchema,
    })
    .transform((a, ctx) => {
      const { tokenSecret, tokenSecretEnv, ...rest } = a;
      if (tokenSecret === undefined && tokenSecretEnv === undefined) return { ...rest, tokenSecret: undefined };
      const secret = resolveSecret('tokenSecret', tokenSecret, tokenSecretEnv, env, ctx);
      return secret === undefined ? z.NEVER : { ...rest, tokenSecret: secret };
    })
    .prefault({});
}
