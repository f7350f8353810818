/**
 * Caller speech detection for barge-in: one `SpeechDetector` per call, fed one 20 ms frame of the caller's audio
 * per tick, returning `speech_started` / `speech_stopped` events. Pure and synchronous (no timers, no I/O) once
 * `await loadVad()` has compiled the WebRTC VAD wasm.
 *
 * A frame is *evidence* of speech when all of these hold (features.ts computes them on 8 kHz analysis audio):
 * - it is not flagged as DTMF (an RFC 4733 event in progress);
 * - its level is ≥ `absoluteFloorDbfs` and ≥ the adaptive noise floor + `marginDb`;
 * - the WebRTC VAD (libfvad, `vadMode`) says speech;
 * - it is not tonal (a tone or DTMF pair holds > TONAL_SHARE of the energy in ≤ 2 narrow peaks), nor was the
 *   frame before it (a tone's trailing edge looks less tonal but is still a tone);
 * - it is voiced: normalised autocorrelation ≥ VOICED_PEAK at a pitch lag of 2.5–12.5 ms, measured after a
 *   250 Hz high-pass so that the low end of pink or rumbling noise cannot pass for a pitch. Noise, coughs and
 *   breath are aperiodic; this is what tells a loud cough from speech within the ~80 ms we have.
 *
 * Onset: `k` of the last `n` frames are evidence (k = minSpeechMs / 20, n = k + 1; default 3 of 4); the event's
 * `atMs` is the first evidence frame of that window. While speaking, a frame keeps the speech alive on weaker
 * evidence (level and VAD only, so unvoiced consonants count); `speech_stopped` comes `hangoverMs` after the last
 * such frame and its `atMs` is the end of that frame. Onsets that would start within `graceMs` after the agent
 * started a talk spurt (`agentSpurtStarted`) are suppressed; speech that continues past the grace still fires.
 *
 * Noise floor: tracks the level of frames that are not evidence while the caller is not speaking, falling fast
 * (a fifth of the gap per frame) and rising slowly (a tenth of the gap, at most 1.5 dB, per frame: a −45 dBFS bed is
 * tracked from −60 to within 4 dB in 400 ms, and one loud cough lifts it by a few dB at most). DTMF-flagged frames never
 * move it.
 *
 * Cost: each frame pays only for what decides it. Every frame is decimated, appended to the 8 kHz history and given
 * to libfvad (its noise model adapts on every frame) and its level measured; that is all a quiet frame, a frame the
 * VAD rejects, a DTMF-flagged frame or any frame while the caller is speaking needs (the keep-alive rule is level and
 * VAD; the floor tracker needs level and evidence). Tonality is measured only on a frame that could still become
 * evidence (not speaking, loud, VAD speech, not DTMF), and the previous frame's only when that frame was loud and
 * the current one is not tonal itself (from the 8 kHz history, which keeps a whole FFT window before the current
 * frame for this); voicing only when neither is tonal. The decisions, events and counters are those of the detector
 * that measured every feature on every loud frame (reference/speech-detector-v1.ts), proven frame by frame in
 * speech-detector-equivalence.test.ts, except that `rejectedTonal` / `rejectedUnvoiced` count frames rejected as
 * onset evidence, i.e. while the caller is not speaking (the old detector also counted speaking frames, which it
 * did not reject).
 *
 * Known limit: a word that starts with an unvoiced sound (/h/, /s/, /f/, /p/…) is decided at its first voiced
 * frame, because aspiration and frication look like a cough for as long as they last.
 */
import { ANALYSIS_FRAME_SAMPLES, Biquad, Decimator, MAX_PITCH_LAG, TONALITY_FFT_SIZE, energyDbfs, tonality, voicingPeak } from './features.js';
import { VadError, VadErrorCode, WebRtcVad, type VadMode } from './webrtc-vad.js';

export interface SpeechDetectorOptions {
  /** Rate of the frames given to `push()`; each frame is 20 ms (160, 320 or 480 samples). */
  sampleRate: 8000 | 16000 | 24000;
  /** libfvad aggressiveness 0..3 (3 = fewest false "speech"). Default 3. */
  vadMode?: VadMode;
  /** How far above the adaptive noise floor a frame must be, dB. Default 9. */
  marginDb?: number;
  /** Evidence needed for an onset, ms (whole 20 ms frames, with one miss allowed in the window). Default 60. */
  minSpeechMs?: number;
  /** Time without evidence before `speech_stopped`, ms. Default 300. */
  hangoverMs?: number;
  /** Onsets starting within this long after `agentSpurtStarted()` are ignored, ms. Default 0. */
  graceMs?: number;
  /** Frames quieter than this are never speech, dBFS. Default −55. */
  absoluteFloorDbfs?: number;
  /** Initial noise floor, dBFS. Default −60. */
  initialNoiseFloorDbfs?: number;
}

export type SpeechEvent = { type: 'speech_started'; atMs: number } | { type: 'speech_stopped'; atMs: number };

export interface SpeechDetectorStats {
  /** Frames pushed. */
  readonly frames: number;
  readonly onsets: number;
  /** Frames loud enough and called speech by the VAD, while the caller is not speaking, but rejected as a tone / as unvoiced. */
  readonly rejectedTonal: number;
  readonly rejectedUnvoiced: number;
  /** Frames flagged as DTMF by the caller's RFC 4733 events. */
  readonly rejectedDtmf: number;
  /** Frames at which an onset was due but fell inside the grace period. */
  readonly suppressedGrace: number;
}

/** What the detector measured on the last frame, for logs and tuning. */
export interface FrameFeatures {
  readonly levelDbfs: number;
  readonly vad: boolean;
  /** NaN when the frame did not need it (see "Cost" above). */
  readonly voicing: number;
  /** NaN when the frame did not need it. */
  readonly tonality: number;
  /** Onset evidence (false while the caller is speaking: only the keep-alive rule is evaluated then). */
  readonly evidence: boolean;
}

export const FRAME_MS = 20;
/** Voicing threshold: espeak and human vowels score 0.6–0.95 here, noise and coughs ≤ 0.35. */
export const VOICED_PEAK = 0.45;
/** Tonality threshold: tones and DTMF pairs score ≥ 0.89 (≥ 0.98 once steady), speech ≤ 0.8. */
export const TONAL_SHARE = 0.86;
const VOICING_HIGH_PASS_HZ = 250;
/** Samples of high-passed 8 kHz history voicing needs before the current frame. */
const HISTORY = MAX_PITCH_LAG;
/** Samples of plain 8 kHz history before the current frame: a whole tonality window, for the previous frame's. */
const PLAIN_HISTORY = TONALITY_FFT_SIZE;
const FLOOR_FALL = 0.2;
const FLOOR_RISE = 0.1;
const FLOOR_MAX_RISE_DB = 1.5;

function check(ok: boolean, message: string): void {
  if (!ok) throw new VadError(VadErrorCode.BadOption, message);
}

export class SpeechDetector {
  readonly sampleRate: 8000 | 16000 | 24000;
  readonly frameSamples: number;
  private readonly marginDb: number;
  private readonly absoluteFloorDbfs: number;
  private readonly hangoverMs: number;
  private readonly graceMs: number;
  /** Onset rule: `need` of the last `window` frames. */
  private readonly need: number;
  private readonly window: number;

  private readonly vad: WebRtcVad;
  private readonly decimator: Decimator;
  private readonly highPass = Biquad.highPass(VOICING_HIGH_PASS_HZ, 8_000);
  /** 8 kHz analysis audio: PLAIN_HISTORY samples, then the current frame. */
  private readonly plain = new Float32Array(PLAIN_HISTORY + ANALYSIS_FRAME_SAMPLES);
  /** High-passed 8 kHz analysis audio: HISTORY samples, then the current frame. */
  private readonly filtered = new Float32Array(HISTORY + ANALYSIS_FRAME_SAMPLES);
  private readonly current = new Float32Array(ANALYSIS_FRAME_SAMPLES);
  private readonly vadFrame = new Int16Array(ANALYSIS_FRAME_SAMPLES);

  /** Ring of the last `window` frames: evidence flag and start time. */
  private readonly recentEvidence: boolean[];
  private readonly recentAtMs: number[];
  private ringIndex = 0;
  private lastAtMs = Number.NEGATIVE_INFINITY;
  /** Whether the previous frame was loud, and its tonality if it was measured (NaN: not measured). */
  private previousLoud = false;
  private previousTonality = Number.NaN;
  private isSpeaking = false;
  private lastEvidenceEndMs = 0;
  private floorDbfs: number;
  private spurtStartMs = Number.NEGATIVE_INFINITY;
  /** The last frame's FrameFeatures, kept as fields (an object is built only when asked). */
  private lastLevelDbfs = -100;
  private lastVad = false;
  private lastVoicing = 0;
  private lastTonality = 0;
  private lastEvidence = false;
  private readonly counters = { frames: 0, onsets: 0, rejectedTonal: 0, rejectedUnvoiced: 0, rejectedDtmf: 0, suppressedGrace: 0 };
  private closed = false;

  constructor(options: SpeechDetectorOptions) {
    const { sampleRate } = options;
    check(sampleRate === 8000 || sampleRate === 16000 || sampleRate === 24000, `unsupported sample rate ${String(sampleRate)}`);
    const mode = options.vadMode ?? 3;
    check(mode === 0 || mode === 1 || mode === 2 || mode === 3, `vadMode must be 0..3, got ${String(mode)}`);
    const minSpeechMs = options.minSpeechMs ?? 60;
    check(Number.isFinite(minSpeechMs) && minSpeechMs >= FRAME_MS && minSpeechMs <= 1_000, `minSpeechMs must be 20..1000, got ${minSpeechMs}`);
    this.hangoverMs = options.hangoverMs ?? 300;
    check(Number.isFinite(this.hangoverMs) && this.hangoverMs >= 0, `hangoverMs must be ≥ 0, got ${this.hangoverMs}`);
    this.graceMs = options.graceMs ?? 0;
    check(Number.isFinite(this.graceMs) && this.graceMs >= 0, `graceMs must be ≥ 0, got ${this.graceMs}`);
    this.marginDb = options.marginDb ?? 9;
    this.absoluteFloorDbfs = options.absoluteFloorDbfs ?? -55;
    this.floorDbfs = options.initialNoiseFloorDbfs ?? -60;
    check(Number.isFinite(this.marginDb) && Number.isFinite(this.absoluteFloorDbfs) && Number.isFinite(this.floorDbfs), 'levels must be finite');

    this.sampleRate = sampleRate;
    this.frameSamples = (sampleRate * FRAME_MS) / 1000;
    this.need = Math.max(1, Math.round(minSpeechMs / FRAME_MS));
    this.window = this.need === 1 ? 1 : this.need + 1;
    this.recentEvidence = new Array<boolean>(this.window).fill(false);
    this.recentAtMs = new Array<number>(this.window).fill(0);
    this.decimator = new Decimator(sampleRate === 8000 ? 1 : sampleRate === 16000 ? 2 : 3, this.frameSamples);
    this.vad = new WebRtcVad(mode, 8000, FRAME_MS);
  }

  get speaking(): boolean {
    return this.isSpeaking;
  }

  get noiseFloorDbfs(): number {
    return this.floorDbfs;
  }

  get stats(): SpeechDetectorStats {
    return { ...this.counters };
  }

  get lastFeatures(): FrameFeatures {
    return { levelDbfs: this.lastLevelDbfs, vad: this.lastVad, voicing: this.lastVoicing, tonality: this.lastTonality, evidence: this.lastEvidence };
  }

  /** The agent started a talk spurt at `atMs` (same clock as the caller's `atMs`): arms the grace period. */
  agentSpurtStarted(atMs: number): void {
    this.spurtStartMs = atMs;
  }

  /** One 20 ms frame of caller audio starting at `atMs` in the caller's stream; returns 0 or 1 events. */
  push(frame: Int16Array, atMs: number, flags?: { dtmf?: boolean }): SpeechEvent[] {
    if (this.closed) throw new VadError(VadErrorCode.Closed, 'SpeechDetector used after close()');
    if (frame.length !== this.frameSamples) {
      throw new VadError(VadErrorCode.BadFrame, `expected ${this.frameSamples} samples (20 ms at ${this.sampleRate} Hz), got ${frame.length}`);
    }
    this.counters.frames++;
    // A gap of more than one window (lost audio, hold) starts the onset window afresh.
    if (atMs - this.lastAtMs > FRAME_MS * (this.window + 1)) this.recentEvidence.fill(false);
    this.lastAtMs = atMs;

    this.analyse(frame);
    const dtmf = flags?.dtmf === true;
    const levelDbfs = energyDbfs(frame);
    const loud = levelDbfs >= this.absoluteFloorDbfs && levelDbfs >= this.floorDbfs + this.marginDb;
    // libfvad keeps an adaptive model: feed it every frame so it sees the whole stream.
    const vad = this.vad.process(this.vadFrame);
    const previousLoud = this.previousLoud;
    const previousTonality = this.previousTonality;
    this.previousLoud = loud;
    this.lastLevelDbfs = levelDbfs;
    this.lastVad = vad;
    this.lastVoicing = Number.NaN;
    this.lastTonality = Number.NaN;
    this.lastEvidence = false;
    this.previousTonality = Number.NaN;
    if (dtmf) this.counters.rejectedDtmf++;
    if (this.isSpeaking) return this.whileSpeaking(atMs, !dtmf && loud && vad);

    let evidence = false;
    if (!dtmf && loud && vad) {
      const ton = tonality(this.plain, this.plain.length);
      this.previousTonality = ton;
      this.lastTonality = ton;
      // A tone's trailing edge looks less tonal but is still a tone: the frame before counts too.
      const tonal = ton >= TONAL_SHARE || (previousLoud && this.tonalityBefore(previousTonality) >= TONAL_SHARE);
      if (tonal) this.counters.rejectedTonal++;
      else {
        const voi = voicingPeak(this.filtered, HISTORY, ANALYSIS_FRAME_SAMPLES);
        this.lastVoicing = voi;
        if (voi < VOICED_PEAK) this.counters.rejectedUnvoiced++;
        else evidence = true;
      }
    }
    this.lastEvidence = evidence;
    return this.whileSilent(atMs, evidence, dtmf, levelDbfs);
  }

  /** The previous frame's tonality: `measured` if it was, else measured now over the window that ended with it. */
  private tonalityBefore(measured: number): number {
    return Number.isNaN(measured) ? tonality(this.plain, this.plain.length - ANALYSIS_FRAME_SAMPLES) : measured;
  }

  /** Frees the wasm memory. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vad.close();
  }

  /** Decimates the frame to 8 kHz and appends it to the plain and high-passed analysis buffers. */
  private analyse(frame: Int16Array): void {
    const { plain, filtered, current, vadFrame } = this;
    this.decimator.process(frame, current);
    plain.copyWithin(0, ANALYSIS_FRAME_SAMPLES);
    filtered.copyWithin(0, ANALYSIS_FRAME_SAMPLES);
    plain.set(current, PLAIN_HISTORY);
    this.highPass.process(current, filtered, HISTORY, ANALYSIS_FRAME_SAMPLES);
    if (this.decimator.factor === 1) {
      // 8 kHz input: the analysis samples are the frame's own integers, nothing to round or clip.
      vadFrame.set(frame);
      return;
    }
    for (let i = 0; i < ANALYSIS_FRAME_SAMPLES; i++) {
      const v = Math.round(current[i] ?? 0);
      vadFrame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }

  private whileSilent(atMs: number, evidence: boolean, dtmf: boolean, levelDbfs: number): SpeechEvent[] {
    this.recentEvidence[this.ringIndex] = evidence;
    this.recentAtMs[this.ringIndex] = atMs;
    this.ringIndex = (this.ringIndex + 1) % this.window;
    if (!evidence && !dtmf) this.trackFloor(levelDbfs);

    let count = 0;
    let startMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.window; i++) {
      if (this.recentEvidence[i] !== true) continue;
      count++;
      startMs = Math.min(startMs, this.recentAtMs[i] ?? startMs);
    }
    if (!evidence || count < this.need) return [];
    if (startMs >= this.spurtStartMs && startMs < this.spurtStartMs + this.graceMs) {
      this.counters.suppressedGrace++;
      return [];
    }
    this.isSpeaking = true;
    this.lastEvidenceEndMs = atMs + FRAME_MS;
    this.counters.onsets++;
    return [{ type: 'speech_started', atMs: startMs }];
  }

  private whileSpeaking(atMs: number, alive: boolean): SpeechEvent[] {
    if (alive) {
      this.lastEvidenceEndMs = atMs + FRAME_MS;
      return [];
    }
    if (atMs + FRAME_MS - this.lastEvidenceEndMs < this.hangoverMs) return [];
    this.isSpeaking = false;
    this.recentEvidence.fill(false);
    return [{ type: 'speech_stopped', atMs: this.lastEvidenceEndMs }];
  }

  private trackFloor(levelDbfs: number): void {
    const gap = levelDbfs - this.floorDbfs;
    this.floorDbfs += gap < 0 ? FLOOR_FALL * gap : Math.min(FLOOR_MAX_RISE_DB, FLOOR_RISE * gap);
  }
}
