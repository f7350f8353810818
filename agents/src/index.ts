/** @patchbay/agents: the agent streaming protocol v1, a server for in-process agents, and the built-in agents. */

import type { Agent } from './agent.js';
import { demoAgent } from './builtin/demo.js';
import { echoAgent } from './builtin/echo.js';

export * from './protocol/messages.js';
export { ProtocolError, ProtocolErrorCode } from './protocol/errors.js';
export type { ProtocolErrorCodeValue } from './protocol/errors.js';
export { parseAgentMessage, parseGatewayMessage, validateAgentMessage } from './protocol/parse.js';
export { pcm16FromBytes, pcm16ToBytes } from './protocol/pcm.js';
export { CLIPPED_MARK, transcriptMessage } from './protocol/transcript.js';
export { DEFAULT_TOKEN_TTL_S, normaliseUrl, signCallToken, verifyCallToken } from './protocol/token.js';
export type { CallTokenClaims, CallTokenFailure, VerifiedCallToken, VerifyCallTokenResult } from './protocol/token.js';
export type { Agent, AgentContext, AgentSession } from './agent.js';
export { serveAgent, serveAgents } from './server.js';
export type { AgentServer, AgentServerLogger, AgentsServer, ServeAgentOptions, ServeAgentsOptions } from './server.js';
export { echoAgent } from './builtin/echo.js';
export { createDemoAgent, demoAgent } from './builtin/demo.js';
export type { DemoAgentOptions } from './builtin/demo.js';
export { loadDemoPrompts, timeClips } from './builtin/prompts.js';
export type { DemoPrompts, PromptName } from './builtin/prompts.js';
export { encodeWav, parseWav, WavError, WavErrorCode } from './builtin/wav.js';

export type BuiltinAgentName = 'echo' | 'demo';

/** The agents the gateway runs in-process, by the name a number route uses (`agent: demo`). */
export { apologyAgent } from './builtin/apology.js';
export { ringbackCycle, standInAgent } from './builtin/stand-in.js';
export { holdAgent, holdCycle } from './builtin/hold.js';
export const builtinAgents: Readonly<Record<BuiltinAgentName, Agent>> = { echo: echoAgent, demo: demoAgent };
