/**
 * People in the loop and agent failover (the gateway's forwarding/ and agent-failover/), counted from its lifecycle
 * events: every person a forward rang and how that leg went, every agent given up mid-call and why, every re-dial and
 * whether it took the call. Every series exists from the start (0), so an alert on a rate needs no first event.
 */
import { Counter, type Registry } from 'prom-client';
import { AGENT_FAILOVER_CAUSE_LABELS, AGENT_REDIAL_OUTCOME_LABELS, FORWARD_LEG_OUTCOME_LABELS, LABEL, METRIC, type AgentRedialOutcomeLabel } from './names.js';

export interface PeopleMetrics {
  /** One person's leg a forward (or a warm transfer) rang settled: `answered`, its end reason, or `refused`; another value counts as `other`. */
  forwardLeg(outcome: string): void;
  /** An agent was given up mid-call (agent failover): its cause; another value counts as `other`. */
  agentFailed(cause: string): void;
  /** Agent failover re-dialled an agent: it connected (and took the call) or not. */
  agentRedialled(outcome: AgentRedialOutcomeLabel): void;
}

export function createPeopleMetrics(registry: Registry): PeopleMetrics {
  const registers = [registry];
  const legs = new Counter({ name: METRIC.forwardLegsTotal, help: 'People rung by forwarding or a warm transfer, by how their leg went (answered, or its end reason; refused: not placed).', labelNames: [LABEL.outcome], registers });
  const failures = new Counter({ name: METRIC.agentFailoversTotal, help: 'Agents given up mid-call by agent failover (the caller heard the stand-in prompt), by cause.', labelNames: [LABEL.reason], registers });
  const redials = new Counter({ name: METRIC.agentRedialsTotal, help: 'Re-dials of a failed agent by agent failover, by outcome.', labelNames: [LABEL.outcome], registers });
  for (const outcome of FORWARD_LEG_OUTCOME_LABELS) legs.inc({ [LABEL.outcome]: outcome }, 0);
  for (const cause of AGENT_FAILOVER_CAUSE_LABELS) failures.inc({ [LABEL.reason]: cause }, 0);
  for (const outcome of AGENT_REDIAL_OUTCOME_LABELS) redials.inc({ [LABEL.outcome]: outcome }, 0);
  const known = <T extends string>(labels: readonly T[], value: string): T | 'other' => ((labels as readonly string[]).includes(value) ? (value as T) : 'other');
  return {
    forwardLeg: (outcome) => legs.inc({ [LABEL.outcome]: known(FORWARD_LEG_OUTCOME_LABELS, outcome) }),
    agentFailed: (cause) => failures.inc({ [LABEL.reason]: known(AGENT_FAILOVER_CAUSE_LABELS, cause) }),
    agentRedialled: (outcome) => redials.inc({ [LABEL.outcome]: outcome }),
  };
}
