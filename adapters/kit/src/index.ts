/** @patchbay/adapter-kit: the AgentAdapter interface and what adapters share. */
export { defineAdapter } from './adapter.js';
export type { AdapterContext, AdapterLogger, AgentAdapter, Env } from './adapter.js';
export { AdapterConfigError, AdapterErrorCode } from './errors.js';
export type { AdapterErrorCodeValue } from './errors.js';
export { ENV_NAME_PATTERN, secretFromEnv } from './secrets.js';
export { formatIssue, formatPath } from './config-issues.js';
export { TRANSCRIPT_MODES, TranscriptLines, transcriptModeOption } from './transcript.js';
export type { TranscriptMode } from './transcript.js';
export { RESUME_NOTE, RETURN_NOTE, resumeNote } from './resume.js';
export { parseWarmTransfer, WARM_TRANSFER_DESCRIPTION, WARM_TRANSFER_MAX_SUMMARY, warmTransferParameters } from './warm-transfer.js';
