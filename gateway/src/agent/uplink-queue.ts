/**
 * Caller audio waiting for an agent socket, for the links that write to one (`ws-link.ts`, `twilio-link.ts`): one
 * entry per 20 ms frame, bounded by the call's `maxUplinkMs`. When the agent does not read, the oldest entry is
 * dropped and counted (it never blocks the RTP path); what was dropped is reported at most once a second.
 */
import { FRAME_MS } from '../media/audio/frame.js';

const DROP_REPORT_INTERVAL_MS = 1000;

export class UplinkQueue<T> {
  private readonly items: T[] = [];
  private readonly maxItems: number;
  private unreportedDropMs = 0;
  private lastReportMs = -Infinity;

  constructor(maxUplinkMs: number) {
    this.maxItems = Math.max(1, Math.ceil(maxUplinkMs / FRAME_MS));
  }

  get length(): number {
    return this.items.length;
  }

  /** Queues one frame's entry; true when the oldest entry was dropped to make room. */
  push(item: T): boolean {
    this.items.push(item);
    if (this.items.length <= this.maxItems) return false;
    this.items.shift();
    this.unreportedDropMs += FRAME_MS;
    return true;
  }

  /** Hands entries to `send`, oldest first, while `canSend()` (the socket has room). */
  drain(canSend: () => boolean, send: (item: T) => void): void {
    while (this.items.length > 0 && canSend()) {
      const item = this.items.shift();
      if (item !== undefined) send(item);
    }
  }

  /** Whether audio was dropped since the last report (`takeDropReport` may then have news). */
  get hasUnreportedDrops(): boolean {
    return this.unreportedDropMs > 0;
  }

  /** Audio dropped since the last report (ms), when there is some and the last report is a second old; else undefined. */
  takeDropReport(nowMs: number): number | undefined {
    if (this.unreportedDropMs <= 0 || nowMs - this.lastReportMs < DROP_REPORT_INTERVAL_MS) return undefined;
    this.lastReportMs = nowMs;
    const droppedMs = this.unreportedDropMs;
    this.unreportedDropMs = 0;
    return droppedMs;
  }
}
