/**
 * @patchbay/adapter-pipeline/testing: fake provider servers speaking Deepgram's and OpenAI's wire protocols on
 * 127.0.0.1, and a fake call for in-process agents. For tests only: nothing here talks to the internet.
 */
export { FakeDeepgram } from './fake-deepgram.js';
export type { FakeDeepgramOptions, ListenConnection } from './fake-deepgram.js';
export { FakeOpenAi } from './fake-openai.js';
export type { ChatScript, FakeOpenAiOptions } from './fake-openai.js';
export { FakeCall } from './fake-call.js';
export type { Timed } from './fake-call.js';
export type { RecordedRequest, SpeechBehaviour } from './http-util.js';
export { pcmBytes, rmsDbfs, speechFor, tone } from './tone.js';
export { waitFor } from './wait.js';
export { memoryLogger } from './logger.js';
export type { LogLine } from './logger.js';
