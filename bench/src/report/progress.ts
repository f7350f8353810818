/**
 * A terminal progress bar for long bench runs. It draws on stderr, and only when stderr is a terminal, so piped or
 * redirected output (stdout, or stderr to a file) never carries control characters. When stderr is not a terminal
 * it prints nothing, unless `pipedSteps` asks for one plain line per 10 %.
 */

/** The part of a writable stream the bar uses; process.stderr fits. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressOptions {
  /** Where to draw. Default process.stderr. */
  stream?: ProgressStream;
  /** When the stream is not a terminal, print one plain line at each 10 % step instead of nothing. Default false. */
  pipedSteps?: boolean;
}

export interface Progress {
  update(done: number, note?: string): void;
  /** Draws the final state and ends the line. Idempotent; updates after it are ignored. */
  done(): void;
}

const BAR_WIDTH = 30;
/** Erase from the cursor to the end of the line. */
const CLEAR_TO_EOL = '\u001b[K';

function fractionOf(done: number, total: number): number {
  if (!(total > 0)) return 1;
  if (!Number.isFinite(done)) return 0;
  return Math.min(1, Math.max(0, done / total));
}

/**
 * One line of the bar, at most `columns - 1` characters so the terminal never wraps it (a wrapped line would
 * break the carriage-return redraw): `label [██████░░░░]  60% 6/10 note`.
 */
export function renderProgressLine(done: number, total: number, label: string, columns: number, note?: string): string {
  const fraction = fractionOf(done, total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const count = `${Math.min(Math.max(0, Math.floor(done)), Math.max(0, total))}/${total}`;
  const line = [label, bar, pct, count, note].filter((s) => s !== undefined && s !== '').join(' ');
  const max = Math.max(10, columns - 1);
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** A progress bar over `total` units of work, labelled `label`. */
export function createProgress(total: number, label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const pipedSteps = options.pipedSteps === true;
  let finished = false;
  let last = '';
  let lastDone = 0;
  let lastNote: string | undefined;
  let lastStep = -1;

  const draw = (done: number, note: string | undefined): void => {
    if (tty) {
      const line = renderProgressLine(done, total, label, stream.columns ?? 80, note);
      if (line === last) return;
      last = line;
      stream.write(`\r${line}${CLEAR_TO_EOL}`);
      return;
    }
    if (!pipedSteps) return;
    const step = Math.floor(fractionOf(done, total) * 10);
    if (step === lastStep) return;
    lastStep = step;
    stream.write(`${label}: ${step * 10}% (${Math.max(0, Math.floor(done))}/${total})${note ? ` ${note}` : ''}\n`);
  };

  return {
    update(done: number, note?: string): void {
      if (finished) return;
      lastDone = done;
      lastNote = note;
      draw(done, note);
    },
    done(): void {
      if (finished) return;
      finished = true;
      draw(Math.max(lastDone, total), lastNote);
      if (tty) stream.write('\n');
    },
  };
}
