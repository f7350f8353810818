/**
 * The media plane's events, delivered to the call core once it exists (the plane is built first, and may run on
 * other threads): requests to end or transfer a call, and media reports, which the call core puts on the lifecycle
 * stream (`media-ended`, `media-trace`, `media-timeline`). Before it is bound there are no calls to report on.
 */
import type { MediaPlaneEvents, WarmTransferCommand } from '../media-plane/plane.js';
import type { BargeInStats } from '../media/barge-in.js';
import type { CallQuality } from '../media/call-quality.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import type { MediaTraceEvent } from '../media/turn-trace.js';
import type { EndReason } from './vocabulary.js';

/** What the plane tells the call core (CallController implements it). */
export interface MediaRequests {
  mediaHangup(callId: string, reason: EndReason): void;
  mediaTransfer(callId: string, target: string): void;
  mediaAgentFailed(callId: string, cause: string): void;
  mediaWarmTransfer(callId: string, msg: WarmTransferCommand): void;
  mediaEnded(callId: string, pattern: string, bargeIn: BargeInStats, quality: CallQuality | undefined): void;
  mediaTrace(callId: string, event: MediaTraceEvent): void;
  mediaTimeline(callId: string, event: MediaTimelineEvent): void;
}

export class MediaEventRelay implements MediaPlaneEvents {
  private target: MediaRequests | undefined;

  bind(target: MediaRequests): void {
    this.target = target;
  }

  hangup(callId: string, reason: EndReason): void {
    this.target?.mediaHangup(callId, reason);
  }

  transfer(callId: string, target: string): void {
    this.target?.mediaTransfer(callId, target);
  }

  warmTransfer(callId: string, msg: WarmTransferCommand): void {
    this.target?.mediaWarmTransfer(callId, msg);
  }

  agentFailed(callId: string, cause: string): void {
    this.target?.mediaAgentFailed(callId, cause);
  }

  ended(callId: string, pattern: string, bargeIn: BargeInStats, quality: CallQuality | undefined): void {
    this.target?.mediaEnded(callId, pattern, bargeIn, quality);
  }

  trace(callId: string, event: MediaTraceEvent): void {
    this.target?.mediaTrace(callId, event);
  }

  timeline(callId: string, event: MediaTimelineEvent): void {
    this.target?.mediaTimeline(callId, event);
  }
}
