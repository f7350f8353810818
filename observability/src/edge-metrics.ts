/** The SIP edge's metrics (gateway/src/edge): drops by reason, bans, tracked sources; read at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { EDGE_DROP_LABELS, LABEL, METRIC, type EdgeDropLabel } from './names.js';

/** What the edge reports at scrape time: cumulative counts, and the gauges now. */
export interface EdgeSnapshot {
  readonly dropped: Readonly<Record<EdgeDropLabel, number>>;
  readonly bansTotal: number;
  readonly bansActive: number;
  readonly sources: number;
  readonly evicted: number;
  readonly connectionsRefused: number;
}

export type EdgeSource = () => EdgeSnapshot;

export interface EdgeMetrics {
  /** Where the edge figures are read; `undefined` keeps the last values. */
  setSource(source: EdgeSource | undefined): void;
}

export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  let source: EdgeSource | undefined;
  const registers = [registry];
  const total = (name: string, help: string, pick: (s: EdgeSnapshot) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect(this: Counter) {
        if (source === undefined) return;
        this.reset(); // the edge holds totals: replace, do not add
        this.inc(pick(source()));
      },
    });
  };
  const now = (name: string, help: string, pick: (s: EdgeSnapshot) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect(this: Gauge) {
        if (source !== undefined) this.set(pick(source()));
      },
    });
  };
  const dropped = new Counter({
    name: METRIC.sipEdgeDroppedTotal,
    help: 'SIP messages the edge dropped silently before parsing, by reason (rate, banned, unknown-source, scanner).',
    labelNames: [LABEL.reason],
    registers,
    collect(this: Counter<string>) {
      if (source === undefined) return;
      const snapshot = source();
      this.reset();
      for (const reason of EDGE_DROP_LABELS) this.inc({ [LABEL.reason]: reason }, snapshot.dropped[reason]);
    },
  });
  for (const reason of EDGE_DROP_LABELS) dropped.inc({ [LABEL.reason]: reason }, 0); // every series from the start
  total(METRIC.sipEdgeBansTotal, 'Bans begun by the SIP edge (over the per-source rate, or a scanner), repeats included.', (s) => s.bansTotal);
  now(METRIC.sipEdgeBansActive, 'Sources (IPv4 address or IPv6 /64) banned by the SIP edge now.', (s) => s.bansActive);
  now(METRIC.sipEdgeSources, "Sources the SIP edge's rate limiter tracks now.", (s) => s.sources);
  total(METRIC.sipEdgeEvictedTotal, "Sources forgotten early because the SIP edge's table was full.", (s) => s.evicted);
  total(METRIC.sipEdgeConnectionsRefusedTotal, 'TCP connections the SIP edge refused at accept.', (s) => s.connectionsRefused);
  return {
    setSource(next) {
      source = next;
    },
  };
}
