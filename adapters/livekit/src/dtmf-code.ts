/** DTMF digits as RFC 4733 event codes, the `code` LiveKit's SIP DTMF packets carry next to the digit. */

const CODES: Readonly<Record<string, number>> = {
  '0': 0, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, '6': 6, '7': 7, '8': 8, '9': 9,
  '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15,
};

/** The event code of `digit` (`0`-`9`, `*`, `#`, `A`-`D`; letters in either case), or undefined. */
export function dtmfCode(digit: string): number | undefined {
  return CODES[digit.toUpperCase()];
}
