/** What the pipeline needs of a text-to-speech provider. */
export interface TextToSpeech {
  /** For logs: `openai` or `deepgram`. */
  readonly provider: string;
  /**
   * Streams the speech for `text` as PCM16 mono 24 kHz chunks as they arrive (the first before the rest is made).
   * Aborting `signal` cancels the HTTP request at once. Throws PipelineError (TTS_FAILED) on a provider error.
   */
  synthesize(text: string, signal: AbortSignal): AsyncGenerator<Int16Array, void, undefined>;
}
