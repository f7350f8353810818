/**
 * The seam where a number's route is decided per call (a `webhook:` number; routing-webhook/ implements it). The
 * call core rings the caller at once, asks, and then follows the decision: a route (its plan is resolved from it),
 * a refusal with its status, or nothing when the call ended while waiting. The decision is always data: whatever
 * goes wrong asking (timeout, refused connection, bad answer) comes back as the fallback route with its reason.
 */
import type { RoutingDecision } from '../records/record.js';
import type { Admission, NumberRoute } from './admission.js';

export type PerCallDecision =
  | { readonly kind: 'route'; readonly route: NumberRoute; readonly adapterKey?: string | undefined; readonly routing: RoutingDecision }
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string; readonly routing: RoutingDecision }
  /** The call ended while waiting (CANCEL): nothing to do. */
  | { readonly kind: 'cancelled' };

export interface PerCallRouting {
  /** Never rejects; `signal` aborts when the call ends while waiting. */
  decide(input: { readonly callId: string; readonly admission: Admission }, signal: AbortSignal): Promise<PerCallDecision>;
}
