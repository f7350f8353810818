/**
 * The demo agent's recorded prompts (`agents/prompts/*.wav`, made by `scripts/make-prompts.sh`), and the clip
 * sequence that speaks a UTC time.
 */

import { readFileSync } from 'node:fs';
import { parseWav } from './wav.js';

const NUMBER_WORDS = [
  'n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10', 'n11', 'n12', 'n13', 'n14', 'n15', 'n16',
  'n17', 'n18', 'n19', 'n20', 'n30', 'n40', 'n50',
] as const;

export const PROMPT_NAMES = [
  'welcome', 'menu', 'echo-intro', 'sorry', 'the-time-is', 'utc', 'oh', 'hundred', 'apology', ...NUMBER_WORDS,
] as const;

export type PromptName = (typeof PROMPT_NAMES)[number];
export type DemoPrompts = Readonly<Record<PromptName, Int16Array>>;

const DEFAULT_DIR = new URL('../../prompts/', import.meta.url);
let cached: DemoPrompts | undefined;

/**
 * Reads every prompt (about 1.2 MB) synchronously. The default directory is read once and cached; call this at
 * start-up to pay the cost before the first call.
 */
export function loadDemoPrompts(dir?: URL): DemoPrompts {
  if (dir === undefined && cached !== undefined) return cached;
  const base = dir ?? DEFAULT_DIR;
  const entries = PROMPT_NAMES.map((name) => {
    const file = new URL(`${name}.wav`, base);
    return [name, parseWav(readFileSync(file), file.pathname)] as const;
  });
  const prompts = Object.fromEntries(entries) as Record<PromptName, Int16Array>;
  if (dir === undefined) cached = prompts;
  return prompts;
}

/** "The time is 14 35 UTC" as clips: hours as a number, minutes as "hundred", "oh five" or a number. */
export function timeClips(date: Date): PromptName[] {
  const h = date.getUTCHours();
  const m = date.getUTCMinutes();
  const minutes: PromptName[] = m === 0 ? ['hundred'] : m < 10 ? ['oh', ...numberClips(m)] : numberClips(m);
  return ['the-time-is', ...numberClips(h), ...minutes, 'utc'];
}

/** 0–59 as word clips: "seven", "fourteen", "thirty" "five". */
export function numberClips(n: number): PromptName[] {
  if (!Number.isInteger(n) || n < 0 || n > 59) throw new RangeError(`numberClips: ${n} is not in 0-59`);
  if (n < 20) return [NUMBER_WORDS[n] ?? 'n0'];
  const tens = NUMBER_WORDS[18 + Math.floor(n / 10)] ?? 'n20';
  return n % 10 === 0 ? [tens] : [tens, NUMBER_WORDS[n % 10] ?? 'n0'];
}
