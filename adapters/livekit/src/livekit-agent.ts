/**
 * The Agent a `livekit` number runs: options and secrets resolved once at start-up into settings, then one
 * LiveKitSession per call in its own room (or the configured fixed room).
 */
import { AdapterConfigError, AdapterErrorCode, secretFromEnv, type AdapterLogger, type Env } from '@patchbay/adapter-kit';
import { SAMPLES_PER_MS, type Agent, type AgentContext, type AgentSession, type StartMessage } from '@patchbay/agents';
import { LIVEKIT_URL_PATTERN, type LiveKitOptions } from './options.js';
import { participantInfo } from './participant-info.js';
import type { RoomFactory } from './room-like.js';
import { DEFAULT_CAPTURE_QUEUE_FRAMES, LiveKitSession, type SessionConfig } from './session.js';
import { renderTemplate, templateValues } from './templates.js';
import { createJoinToken } from './token.js';

/** Validity of a join token; it only has to outlive joining. */
export const JOIN_TOKEN_TTL_S = 600;

export interface LiveKitSettings {
  options: LiveKitOptions;
  url: string;
  apiKey: string;
  apiSecret: string;
}

/** Reads the URL and credentials the options name; throws AdapterConfigError naming a missing variable. */
export function resolveSettings(options: LiveKitOptions, env: Env): LiveKitSettings {
  let url = options.url;
  if (url === undefined) {
    const name = options.urlEnv ?? 'LIVEKIT_URL';
    url = secretFromEnv(env, name, 'livekit urlEnv').trim();
    if (!LIVEKIT_URL_PATTERN.test(url)) {
      throw new AdapterConfigError(AdapterErrorCode.BadOptions, `livekit urlEnv: environment variable ${name} is not a ws:// or wss:// URL`);
    }
  }
  return {
    options,
    url,
    apiKey: secretFromEnv(env, options.apiKeyEnv, 'livekit apiKeyEnv'),
    apiSecret: secretFromEnv(env, options.apiSecretEnv, 'livekit apiSecretEnv'),
  };
}

/** What one call's session is configured with: its room, identity and token. */
export function sessionConfig(settings: LiveKitSettings, start: StartMessage): SessionConfig & { room: string; identity: string } {
  const { options } = settings;
  const values = templateValues(start);
  const room = renderTemplate(options.room, values);
  const identity = renderTemplate(options.identity, values);
  const info = participantInfo(start);
  const config: SessionConfig & { room: string; identity: string } = {
    room,
    identity,
    url: settings.url,
    token: () =>
      createJoinToken({
        apiKey: settings.apiKey,
        apiSecret: settings.apiSecret,
        room,
        identity,
        name: options.participantName,
        kind: options.participantKind,
        metadata: info.metadata,
        attributes: info.attributes,
        ...(options.agentName !== undefined ? { agentName: options.agentName, agentMetadata: info.metadata } : {}),
        ttlS: JOIN_TOKEN_TTL_S,
      }),
    agentTimeoutMs: options.agentTimeoutMs,
    gate: {
      silencePeak: options.silencePeak,
      hangoverSamples: msToSamples(options.spurtHangoverMs),
      holdMaxSamples: msToSamples(options.interruptHoldMaxMs),
    },
    captureQueueFrames: DEFAULT_CAPTURE_QUEUE_FRAMES,
  };
  if (options.agentIdentity !== undefined) config.agentIdentity = options.agentIdentity;
  return config;
}

export interface LiveKitAgentDeps {
  logger: AdapterLogger;
  /** Builds each call's room; `logFields` carry the call's id into the room's logs. */
  roomFactory: (logFields: Readonly<Record<string, unknown>>) => RoomFactory;
}

export function createLiveKitAgent(settings: LiveKitSettings, deps: LiveKitAgentDeps): Agent {
  return {
    name: 'livekit',
    create(ctx: AgentContext): AgentSession {
      const config = sessionConfig(settings, ctx.start);
      const session = new LiveKitSession(ctx, config, deps.roomFactory({ callId: ctx.start.callId }), deps.logger);
      session.start();
      return session;
    },
  };
}

function msToSamples(ms: number): number {
  return ms * SAMPLES_PER_MS;
}
