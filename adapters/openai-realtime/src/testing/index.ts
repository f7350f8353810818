/**
 * Test tools of @patchbay/adapter-openai-realtime (`@patchbay/adapter-openai-realtime/testing`): a fake Realtime
 * server the official SDK connects to, and an in-process call driver. Not for production code.
 */
export { DEFAULT_SCRIPT, FakeRealtimeServer } from './fake-realtime-server.js';
export type { FakeConnection, FakeRealtimeServerOptions } from './fake-realtime-server.js';
export { FakeSession } from './fake-session.js';
export type { ClientEvent, FakeItem, FakeResponse, RecordedEvent, ResponseRequest, ResponseScript, ScriptStep } from './fake-session.js';
export { FakeCall, until } from './fake-call.js';
export type { SentMessage } from './fake-call.js';
export { FakeVad } from './fake-vad.js';
export { levelDbfs, tone } from './tone.js';
export type { CallerTranscription, CallerTranscriptScript } from './fake-transcription.js';
