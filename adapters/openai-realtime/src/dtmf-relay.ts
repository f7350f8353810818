/**
 * Collects the keys the caller presses into one message for the model: sent `flushMs` after the last key, at once on
 * `#`, or at once for every key when `flushMs` is 0. At most 64 keys per message (more are dropped).
 */

const MAX_DIGITS = 64;

export class DtmfRelay {
  private digits = '';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly flushMs: number,
    private readonly onDigits: (digits: string) => void,
  ) {}

  push(digit: string): void {
    if (this.closed) return;
    if (this.digits.length < MAX_DIGITS) this.digits += digit;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (digit === '#' || this.flushMs === 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  /** Sends what was collected now (nothing when empty). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.digits === '') return;
    const digits = this.digits;
    this.digits = '';
    this.onDigits(digits);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.digits = '';
  }
}
