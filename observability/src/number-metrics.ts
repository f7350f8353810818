/**
 * Per-number figures in Prometheus, fed once per finished call record (never a database query per scrape): calls by
 * disposition, answered calls, calls with a barge-in, transfers, talk time, every turn's latency and MOS, each
 * labelled by `number`. The cardinality guard: only a configured number's pattern becomes a label value (at most
 * `maxNumbers` of them); every other call — an unconfigured number, or a configured one past the cap — is counted
 * under `other`. A number removed at run time keeps its series until the process restarts.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { MOS_BUCKETS } from './call-end-metrics.js';
import { LabelGuard } from './label-guard.js';
import { LABEL, METRIC } from './names.js';

/** The `number` label of everything not configured. */
export const NUMBER_OTHER = 'other';
/** Talk time buckets, seconds (10 s … 1 h). */
export const TALK_BUCKETS: readonly number[] = [10, 30, 60, 120, 180, 300, 600, 900, 1800, 3600];
/** Turn latency buckets, seconds. */
export const TURN_BUCKETS: readonly number[] = [0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10];

/** One finished call as the metrics need it: plain data, no phone number. */
export interface NumberCallObservation {
  /** The routing pattern the call matched ('' for none). */
  number: string;
  /** completed, busy, no-answer, declined, failed, canceled (anything else is counted as `other`). */
  disposition: string;
  answered: boolean;
  talkMs: number | null;
  turnLatenciesMs: readonly number[];
  bargeIns: number;
  transfer: 'accepted' | 'failed' | null;
  mos: number | null;
}

export interface NumberMetricsOptions {
  /** Whether a pattern is configured now (`numbers:` in the config file, or the numbers API); default none (`setConfigured`). */
  isConfigured?: (pattern: string) => boolean;
  /** At most this many distinct numbers get their own series; default 200. */
  maxNumbers?: number;
}

type N = typeof LABEL.number;

export class NumberMetrics {
  private readonly calls: Counter<N | typeof LABEL.disposition>;
  private readonly answered: Counter<N>;
  private readonly barged: Counter<N>;
  private readonly transfers: Counter<N | typeof LABEL.outcome>;
  private readonly talk: Histogram<N>;
  private readonly turns: Histogram<N>;
  private readonly mos: Histogram<N>;
  private readonly numbers: LabelGuard;
  private readonly dispositions = new LabelGuard(16);
  private isConfigured: (pattern: string) => boolean;

  constructor(registry: Registry, options: NumberMetricsOptions = {}) {
    this.isConfigured = options.isConfigured ?? (() => false);
    const registers = [registry];
    const number = [LABEL.number] as const;
    this.calls = new Counter({ name: METRIC.numberCallsTotal, help: 'Finished calls per configured number (else `other`), by disposition.', labelNames: [LABEL.number, LABEL.disposition], registers });
    this.answered = new Counter({ name: METRIC.numberAnsweredCallsTotal, help: 'Answered calls per configured number (else `other`).', labelNames: number, registers });
    this.barged = new Counter({ name: METRIC.numberBargedInCallsTotal, help: 'Answered calls with at least one barge-in, per configured number (else `other`).', labelNames: number, registers });
    this.transfers = new Counter({ name: METRIC.numberTransfersTotal, help: 'Transfers per configured number (else `other`), by outcome.', labelNames: [LABEL.number, LABEL.outcome], registers });
    this.talk = new Histogram({ name: METRIC.numberTalkSeconds, help: 'Talk time of answered calls per configured number (else `other`), seconds.', labelNames: number, buckets: [...TALK_BUCKETS], registers });
    this.turns = new Histogram({ name: METRIC.numberTurnLatency, help: "Each turn's latency per configured number (else `other`), seconds.", labelNames: number, buckets: [...TURN_BUCKETS], registers });
    this.mos = new Histogram({ name: METRIC.numberCallMos, help: 'MOS of each rated call per configured number (else `other`).', labelNames: number, buckets: [...MOS_BUCKETS], registers });
    // Patterns are printable and short (`+1555*`, `sip:support@…`); anything else is `other` too.
    this.numbers = new LabelGuard(options.maxNumbers ?? 200, NUMBER_OTHER, /^[\x21-\x7e]{1,128}$/);
  }

  /** Where the configured numbers are asked from (the gateway sets it once its numbers are known). */
  setConfigured(isConfigured: (pattern: string) => boolean): void {
    this.isConfigured = isConfigured;
  }

  /** The `number` label a pattern gets now. */
  label(pattern: string): string {
    if (pattern === NUMBER_OTHER || !this.isConfigured(pattern)) return NUMBER_OTHER;
    return this.numbers.value(pattern);
  }

  /** Counts one finished call: O(turns), no I/O. */
  observe(o: NumberCallObservation): void {
    const number = this.label(o.number);
    this.calls.inc({ number, disposition: this.dispositions.value(o.disposition) });
    if (o.answered) {
      this.answered.inc({ number });
      if (o.bargeIns > 0) this.barged.inc({ number });
      if (o.talkMs !== null && Number.isFinite(o.talkMs) && o.talkMs >= 0) this.talk.observe({ number }, o.talkMs / 1000);
    }
    if (o.transfer !== null) this.transfers.inc({ number, outcome: o.transfer });
    for (const ms of o.turnLatenciesMs) if (Number.isFinite(ms) && ms >= 0) this.turns.observe({ number }, ms / 1000);
    if (o.mos !== null && Number.isFinite(o.mos)) this.mos.observe({ number }, o.mos);
  }
}
