/** Caller speech detection for barge-in: WebRTC VAD (wasm) plus level, voicing and tonality evidence. */
export {
  SpeechDetector,
  FRAME_MS,
  TONAL_SHARE,
  VOICED_PEAK,
  type FrameFeatures,
  type SpeechDetectorOptions,
  type SpeechDetectorStats,
  type SpeechEvent,
} from './speech-detector.js';
export { loadVad, VadError, VadErrorCode, WebRtcVad, type FvadRate, type VadErrorCodeValue, type VadMode } from './webrtc-vad.js';
export { ANALYSIS_RATE, energyDbfs, tonality, voicing } from './features.js';
export { loadSilero, SileroConfirmer, SileroError, type SileroModel } from './silero.js';
