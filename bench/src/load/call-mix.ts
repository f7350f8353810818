/** Which number the n-th call dials (pure): most calls echo, every `turnEvery`-th takes turns, some barge in. */

export type CallKind = 'echo' | 'turn' | 'bargeIn';

export interface CallMix {
  /** Every `turnEvery`-th call (the last of each group) dials the turn number; 0: none. */
  readonly turnEvery: number;
  /** Every `bargeInEvery`-th call, at `bargeInOffset` within each group, dials the talker; 0: none. */
  readonly bargeInEvery: number;
  readonly bargeInOffset: number;
}

/** The kind of call number `n` (0-based). A turn slot wins over a barge-in slot that lands on the same call. */
export function callKindOf(n: number, mix: CallMix): CallKind {
  if (mix.turnEvery > 0 && n % mix.turnEvery === mix.turnEvery - 1) return 'turn';
  if (mix.bargeInEvery > 0 && n % mix.bargeInEvery === mix.bargeInOffset % mix.bargeInEvery) return 'bargeIn';
  return 'echo';
}
