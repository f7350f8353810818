/**
 * Forwarding a live call (`POST /v1/calls/{id}/forward`): the checks that answer the request at once (the trunk,
 * every destination against its allow-list, one forward at a time, not a call that is already a bridge), then the
 * people ring while the caller stays with its agent (Forwarder.forwardLive), and the call's plan becomes a bridge's
 * when one answers.
 */
import type { Logger } from 'pino';
import type { Call } from '../call/call.js';
import { CallControlError, CallControlErrorCode, type ForwardRequest, type LiveForwarding, type TransferStart } from '../call/control.js';
import { bridgedPlan, type ForwardPlan } from '../call/plan.js';
import type { Config } from '../config.js';
import { trunkDestinations } from '../trunks/outbound.js';
import type { Forwarder } from './forwarder.js';

/** Why a live forward was refused at once (`detail` of CALL_TRANSFER_REFUSED): a contract, documented in docs/api.md. */
export const LIVE_FORWARD_REFUSALS = {
  /** People are already ringing for this call. */
  InProgress: 'FORWARD_IN_PROGRESS',
  /** The call is already bridged with a person. */
  Bridged: 'CALL_BRIDGED',
} as const;

/** How long the target of a transfer carried out as a bridge rings before it fails (the caller stays with the agent). */
export const TRANSFER_RING_TIMEOUT_MS = 30_000;

export class LiveForwarder implements LiveForwarding {
  constructor(
    private readonly options: { readonly config: Pick<Config, 'trunks' | 'sip'>; readonly forwarder: Forwarder; readonly logger: Logger },
  ) {}

  /**
   * A transfer (the agent's or the API's, past the number's transfer lists) of a call whose trunk has `transferBy:
   * bridge`: the target rings as a live forward through that trunk; undefined for any other call (REFER as usual).
   */
  transferAsBridge(call: Call, destination: string): TransferStart | undefined {
    const trunk = call.plan.trunk === undefined ? undefined : this.options.config.trunks.find((t) => t.name === call.plan.trunk);
    if (trunk?.transferBy !== 'bridge') return undefined;
    try {
      this.forward(call, { to: [destination], trunk: trunk.name, strategy: 'sequential', ringTimeoutMs: TRANSFER_RING_TIMEOUT_MS });
      return { ok: true };
    } catch (err) {
      if (!(err instanceof CallControlError)) throw err;
      return { ok: false, code: err.detail ?? err.code, message: err.message };
    }
  }

  forward(call: Call, request: ForwardRequest): void {
    const { config, forwarder, logger } = this.options;
    const trunk = config.trunks.find((t) => t.name === request.trunk)?.outbound;
    if (trunk === undefined) throw new CallControlError(CallControlErrorCode.TrunkUnknown, `no trunk '${request.trunk}' with an outbound side`);
    const policy = trunkDestinations(trunk, config.sip.defaultCountryCode);
    for (const to of request.to) {
      const checked = policy.check(to);
      if (!checked.ok) throw new CallControlError(CallControlErrorCode.DestinationNotAllowed, `destination refused: ${checked.reason}`, checked.code);
    }
    if (call.plan.agent.kind === 'bridge') throw new CallControlError(CallControlErrorCode.TransferRefused, 'the call is already bridged with a person', LIVE_FORWARD_REFUSALS.Bridged);
    if (forwarder.forwarding(call.id)) throw new CallControlError(CallControlErrorCode.TransferRefused, 'people are already ringing for this call', LIVE_FORWARD_REFUSALS.InProgress);
    const plan: ForwardPlan = {
      targets: request.to.map((to) => ({ to, trunk: request.trunk })),
      strategy: request.strategy,
      ringTimeoutMs: request.ringTimeoutMs,
      when: 'first',
      fallback: 'agent',
      onPersonHangup: request.onPersonHangup ?? 'end',
    };
    forwarder.forwardLive(call, plan).then(
      (outcome) => {
        if (outcome.kind === 'answered' && call.state !== 'ended') call.plan = bridgedPlan(call.plan, outcome.legId, plan.onPersonHangup);
      },
      (err: unknown) => logger.error({ err, callId: call.id }, 'forwarding a live call failed'),
    );
  }
}
