/**
 * The protocol's messages about people in the loop and calls picked up mid-way (docs/protocol.md): a warm transfer's
 * commands and steps, a supervisor's own audio stream, and what a connection that picks up a call under way is told
 * (`start.resume`). Re-exported by messages.ts, which holds the unions they belong to.
 */
import type { TranscriptRole } from './messages.js';

/**
 * Why a connection picks a call up (`start.resume.cause`). A contract: docs/protocol.md, the gateway's agent
 * failover (its failure causes are the first four) and forwarding (`person-hangup`).
 */
export const RESUME_CAUSES = [
  /** The previous agent's socket closed abnormally. */
  'agent-dropped',
  /** The previous agent reported an error and hung up. */
  'agent-error',
  /** The previous agent hung up at once without speaking. */
  'early-hangup',
  /** The previous agent went silent while the caller waited. */
  'agent-silent',
  /** The caller was bridged with a person, who hung up first: the call is back with its agent (`onPersonHangup: agent`). */
  'person-hangup',
] as const;
export type ResumeCause = (typeof RESUME_CAUSES)[number];

/** What a re-dialled agent is told of the call so far (`start.resume`). */
export interface ResumeInfo {
  /** Which re-dial this is (1 for the first; a call back from a person: 1). */
  attempt: number;
  /** Why this connection picks the call up (RESUME_CAUSES). */
  cause: ResumeCause;
  /** The call's transcript lines so far, as the previous agents sent them (`final` lines only, oldest first, at most 50). */
  transcript: { role: TranscriptRole; text: string }[];
  /** Agent audio of the failed agent's last turn that the caller heard (ms, exact to the packet), as in `cleared.playedMs`. */
  playedMs: number;
}

/** How a warm transfer's consultation stands (`consult` events): a contract, docs/protocol.md §consult. */
export const CONSULT_STATUSES = [
  /** The person's phone is being dialled; the caller is still with you. */
  'dialling',
  /** The person answered: from now your audio goes to the person only and you hear the person; the caller hears hold music. */
  'answered',
  /** The person could not be reached (`reason`: no-answer, busy, declined, failed, refused): you are still with the caller. */
  'failed',
  /** The person hung up during the consultation: you are back with the caller. */
  'ended',
  /** Your `cancel_consult` dropped the person's leg: you are back with the caller. */
  'cancelled',
  /** Your `bridge{listen: true}` joined the caller and the person: you now receive both, mixed; your audio is not played. */
  'bridged',
] as const;
export type ConsultStatus = (typeof CONSULT_STATUSES)[number];

/** A step of the warm transfer your `consult` started. */
export interface ConsultEvent {
  type: 'consult';
  status: ConsultStatus;
  /** The person's number or URI, as your `consult` named it. */
  target: string;
  /** With `failed`: why (an end reason, or `refused` with the refusal's code in `message`). */
  reason?: string;
  message?: string;
  /** With `answered`: your `consult.whisper`, echoed, so a stateless agent can say it now. */
  whisper?: string;
}

/**
 * A supervisor whispering or barging in on the call (`POST /v1/calls/{id}/monitor` with `agentStream: true`): their
 * voice as its own stream, instead of mixed into the caller audio you receive. `audio` is base64 PCM16 24 kHz mono,
 * one 20 ms frame per message.
 */
export interface SupervisorAudioEvent {
  type: 'supervisor_audio';
  audio: string;
}

/**
 * Warm transfer, step 1: dial a person on a second leg while the caller stays with you. When they answer (`consult
 * {status: 'answered'}`) your audio goes to the person only and the caller hears hold music: introduce the caller
 * (`whisper`: the summary you will say, echoed back then and kept on the call's record). Then `bridge` or
 * `cancel_consult`.
 */
export interface ConsultCommand {
  type: 'consult';
  target: string;
  whisper?: string;
}

/**
 * Warm transfer, step 2: join the caller and the person; you leave the call (`stop{reason: 'transferred'}`), or with
 * `listen: true` you stay, hearing both of them mixed (`consult{status: 'bridged'}`; your audio is not played).
 */
export interface BridgeCommand {
  type: 'bridge';
  listen?: boolean;
}

/** Warm transfer, the other step 2: drop the person's leg; you are back with the caller (`consult{status: 'cancelled'}`). */
export interface CancelConsultCommand {
  type: 'cancel_consult';
}
