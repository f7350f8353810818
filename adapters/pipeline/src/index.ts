/**
 * @patchbay/adapter-pipeline: a Patchbay agent made of speech-to-text (Deepgram live), a chat model (OpenAI chat
 * completions, streamed) and text-to-speech (OpenAI speech or Deepgram Aura), sentence by sentence.
 */
import { defineAdapter } from '@patchbay/adapter-kit';
import { pipelineOptions } from './options.js';
import { createPipelineAgent } from './pipeline-agent.js';

export const adapter = defineAdapter({
  name: 'pipeline',
  options: pipelineOptions,
  create: (options, context) => createPipelineAgent(options, context),
});

export { createPipelineAgent } from './pipeline-agent.js';
export type { PipelineAgentInternals } from './pipeline-agent.js';
export { pipelineOptions } from './options.js';
export type { PipelineOptions } from './options.js';
export { PipelineError, PipelineErrorCode } from './errors.js';
export type { PipelineErrorCodeValue } from './errors.js';
