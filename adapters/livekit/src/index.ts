/**
 * @patchbay/adapter-livekit: answers phone numbers with LiveKit Agents. Each call joins a LiveKit room as a
 * participant publishing the caller's audio; the agent participant's audio plays back to the caller.
 */
import { defineAdapter } from '@patchbay/adapter-kit';
import { createLiveKitAgent, resolveSettings } from './livekit-agent.js';
import { livekitOptions } from './options.js';
import { createRtcRoom } from './rtc-room.js';

export const adapter = defineAdapter({
  name: 'livekit',
  options: livekitOptions,
  create(options, { env, logger }) {
    const settings = resolveSettings(options, env);
    return createLiveKitAgent(settings, {
      logger,
      roomFactory: (logFields) => (handlers) => createRtcRoom(handlers, { logger, logFields }),
    });
  },
});

export { livekitOptions } from './options.js';
export type { LiveKitOptions } from './options.js';
export { LiveKitAdapterError, LiveKitErrorCode, LiveKitHangupReason } from './errors.js';
export type { LiveKitErrorCodeValue, LiveKitHangupReasonValue } from './errors.js';
