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
  'welcome', 'menu', 'echo-intro', 'sorry', 'the-time-is', 'utc', 'oh', 'hundred', 'apology', 'one-moment', ...NUMBER_WORDS,
] as const;

export type PromptName = (typeof PROMPT_NAMES)[number];
export type DemoPrompts = Readonly<Record<PromptName, Int16Array>>;

const NUMBER_TEXT = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty', 'thirty', 'forty', 'fifty',
] as const;

/** What each prompt says (the text `scripts/make-prompts.sh` speaks), for the demo's transcript lines. */
export const PROMPT_TEXT: Readonly<Record<PromptName, string>> = {
  welcome: 'Welcome to Patchbay.',
  menu: 'Press 1 for an echo test. Press 2 to hear the time.',
  'echo-intro': 'Echo test. Speak, and you will hear yourself. Press star to return to the menu.',
  sorry: 'Sorry, I did not understand.',
  'the-time-is': 'The time is',
  utc: 'UTC',
  oh: 'oh',
  hundred: 'hundred',
  'one-moment': 'One moment, please.',
  apology: 'We are sorry, we cannot take your call right now. Please try again later. Goodbye.',
  ...(Object.fromEntries(NUMBER_WORDS.map((name, i) => [name, NUMBER_TEXT[i] ?? ''])) as Record<(typeof NUMBER_WORDS)[number], string>),
};

/** The text of sentences made of prompts: words joined by spaces, each sentence ending in a full stop. */
export function promptText(sentences: readonly (readonly PromptName[])[]): string {
  return sentences
    .map((words) => words.map((w) => PROMPT_TEXT[w]).join(' '))
    .map((s) => (/[.!?]$/.test(s) ? s : `${s}.`))
    .join(' ');
}

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
