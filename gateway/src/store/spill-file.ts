/**
 * The write queue's overflow on disk: one NDJSON line per op (`{"kind":…,"data":…}`), appended in order, fsync'd
 * in batches, read back from the front in order, emptied (truncated) once every line is applied. Bounded by
 * `maxBytes`. What is in it at close (and after a crash) is replayed at the next start: appliers are idempotent, so
 * a line applied just before a crash and read again is harmless. A torn last line (crash mid-write) is cut off.
 */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WriteOp } from './types.js';

/** An op read back, with its line's length so that it can be committed on its own. */
export interface SpilledOp {
  readonly op: WriteOp;
  readonly bytes: number;
}

const READ_CHUNK_BYTES = 1024 * 1024;
const FLUSH_DELAY_MS = 20;

export class SpillFile {
  private fd: FileHandle | undefined;
  /** Bytes written to the file (durable once the flush that wrote them resolved). */
  private size = 0;
  /** Bytes at the front already applied. */
  private readOffset = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Ops in the file after readOffset plus pending ones. */
  private ops = 0;
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Lines skipped because they were not JSON ops (reported by the caller). */
  corrupt = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Opens (creating the folder and file), cuts a torn last line, counts the ops waiting from a previous run. */
  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const fd = await open(this.path, 'a+');
    this.fd = fd;
    const { size } = await fd.stat();
    let ops = 0;
    let lastNewline = -1;
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fd.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        if (buf[i] === 0x0a) {
          ops++;
          lastNewline = pos + i;
        }
      }
      pos += bytesRead;
    }
    if (lastNewline + 1 < size) await fd.truncate(lastNewline + 1);
    this.size = lastNewline + 1;
    this.ops = ops;
  }

  /** Ops waiting (in the file and about to be written). */
  get count(): number {
    return this.ops;
  }

  get bytes(): number {
    return this.size - this.readOffset + this.pendingBytes;
  }

  /** Appends `op` (written within FLUSH_DELAY_MS); false when it would pass the bound or is not JSON-able. */
  append(op: WriteOp): boolean {
    if (this.fd === undefined) return false;
    let line: string;
    try {
      line = `${JSON.stringify({ kind: op.kind, data: op.data })}\n`;
    } catch {
      return false;
    }
    const bytes = Buffer.byteLength(line);
    if (this.size + this.pendingBytes + bytes > this.maxBytes) return false;
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.ops++;
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch(this.onError);
    }, FLUSH_DELAY_MS);
    return true;
  }

  /** Writes what is pending and fsyncs it (one write and one fdatasync for however many lines). */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      const fd = this.fd;
      if (fd === undefined || this.pending.length === 0) return;
      const data = Buffer.from(this.pending.join(''));
      this.pending = [];
      this.pendingBytes = 0;
      await fd.write(data, 0, data.length, null);
      await fd.datasync();
      this.size += data.length;
    });
    return this.flushing;
  }

  /** Up to `maxOps` ops from the front, in order (not removed until committed). */
  async read(maxOps: number): Promise<SpilledOp[]> {
    const fd = this.fd;
    if (fd === undefined || this.ops === 0) return [];
    if (this.readOffset >= this.size) await this.flush();
    const out: SpilledOp[] = [];
    let pos = this.readOffset;
    let chunk = READ_CHUNK_BYTES;
    while (out.length < maxOps && pos < this.size) {
      const buf = Buffer.allocUnsafe(Math.min(chunk, this.size - pos));
      const { bytesRead } = await fd.read(buf, 0, buf.length, pos);
      let start = 0;
      let progressed = false;
      for (let i = 0; i < bytesRead && out.length < maxOps; i++) {
        if (buf[i] !== 0x0a) continue;
        const lineBytes = i + 1 - start;
        const op = parseOp(buf.toString('utf8', start, i));
        if (op === undefined) this.corrupt++;
        // A corrupt line is still consumed (committed with the next op), never retried forever.
        out.push({ op: op ?? { kind: '', data: null }, bytes: lineBytes });
        start = i + 1;
        progressed = true;
      }
      pos += start;
      if (!progressed) chunk *= 2; // a line longer than the chunk
    }
    return out;
  }

  /** Removes `ops` ops of `bytes` bytes from the front (what `read` gave, applied); empties the file when done. */
  async commit(ops: number, bytes: number): Promise<void> {
    this.readOffset += bytes;
    this.ops -= ops;
    if (this.readOffset >= this.size && this.pending.length === 0 && this.fd !== undefined) {
      await this.flushing.catch(() => undefined);
      if (this.readOffset >= this.size && this.pending.length === 0) {
        await this.fd.truncate(0);
        this.size = 0;
        this.readOffset = 0;
      }
    }
  }

  /**
   * Shutdown: `front` (older ops still in memory) goes before what the file holds, in one new file, fsync'd and
   * renamed over the old one. Returns how many of `front` did not fit the bound (dropped).
   */
  async closeWithFront(front: readonly WriteOp[]): Promise<number> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flush();
    const fd = this.fd;
    if (fd === undefined) return front.length;
    this.fd = undefined;
    if (front.length === 0 && this.readOffset === 0) {
      await fd.close();
      return 0;
    }
    const restBytes = this.size - this.readOffset;
    const lines: string[] = [];
    let bytes = restBytes;
    let dropped = 0;
    for (const op of front) {
      let line: string;
      try {
        line = `${JSON.stringify({ kind: op.kind, data: op.data })}\n`;
      } catch {
        dropped++;
        continue;
      }
      const b = Buffer.byteLength(line);
      if (bytes + b > this.maxBytes) {
        dropped++;
        continue;
      }
      lines.push(line);
      bytes += b;
    }
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.write(Buffer.from(lines.join('')));
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      for (let pos = this.readOffset; pos < this.size; ) {
        const { bytesRead } = await fd.read(buf, 0, Math.min(buf.length, this.size - pos), pos);
        if (bytesRead === 0) break;
        await out.write(buf, 0, bytesRead);
        pos += bytesRead;
      }
      await out.datasync();
    } finally {
      await out.close();
      await fd.close();
    }
    await rename(tmp, this.path);
    return dropped;
  }
}

function parseOp(line: string): WriteOp | undefined {
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null || !('kind' in v) || typeof v.kind !== 'string' || v.kind === '') return undefined;
    return { kind: v.kind, data: 'data' in v ? v.data : undefined };
  } catch {
    return undefined;
  }
}
