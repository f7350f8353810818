/**
 * Phones for the forwarding tests (docs/forwarding.md): a person (baresip, G.722 only) who answers, a desk (baresip,
 * PCMU) that rings and is never picked up, and a caller (baresip, PCMU) who dials the gateway once they listen; how
 * well what one side said reaches the other; the API's view of the calls.
 */
import { expect } from 'vitest';
import type { Wav } from './audio.js';
import { baresipCall, callAnswered, describeCall, type BaresipCallResult } from './baresip.js';
import { measureEchoByUtterance, weightedNcc } from './correlation.js';
import type { TestGateway } from './gateway.js';

/** Where the people listen, as whom, and what the person (and the desk) say. */
export interface ForwardPhones {
  readonly personPort: number;
  readonly person: string;
  readonly deskPort: number;
  readonly desk: string;
  /** The person's microphone (also the desk's). */
  readonly personMic: string;
}

/**
 * The trunk the forwarding tests' calls use: callers from 127.0.0.1 come in on it, and its outbound side rings the
 * person (G.722 only, caller ID +15550100001) at `personPort`.
 */
export function peopleTrunk(personPort: number, codecs: readonly string[] = ['G722']): Record<string, unknown> {
  return { name: 'people', allow: ['127.0.0.1'], outbound: { proxy: { host: '127.0.0.1', port: personPort }, allow: ['+1555'], codecs, callerId: { user: '+15550100001' } } };
}

/** The fields of a call the tests read (`GET /v1/calls`). */
export interface CallSummary {
  id: string;
  direction: string;
  to: string;
  number: string;
  codec: string | null;
  agent: { kind: string; target: string };
  endReason: string | null;
  status: string;
  routing?: { source: string; action: string };
}

/**
 * How well `reference` (what one side said) reaches the other side: each utterance aligned on its own lag, NCCs
 * weighted by length. A bridged leg plays through a jitter buffer, which may change its delay in the pauses between
 * words (its job) but never inside one: a word corrupted, dropped or stretched still fails.
 */
export async function across(reference: Wav, heard: Wav, window: { minLagMs: number; maxLagMs: number }): Promise<{ ncc: number; detail: string }> {
  const utterances = await measureEchoByUtterance(reference, heard, window);
  return { ncc: weightedNcc(utterances), detail: utterances.map((u) => `${u.startMs.toFixed(0)} ms: ${u.ncc.toFixed(3)} at ${u.lagMs.toFixed(1)} ms`).join('; ') };
}

/** The calls of `number` (newest first). */
export async function callsOf(base: string, number: string): Promise<CallSummary[]> {
  return ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(number)}`)).json()) as { calls: CallSummary[] }).calls;
}

/** The id of `number`'s answered inbound call, once there is one. */
export async function liveCallOf(base: string, number: string): Promise<string> {
  for (;;) {
    const live = (await callsOf(base, number)).find((c) => c.direction === 'inbound' && c.status === 'answered');
    if (live !== undefined) return live.id;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The desk: a second person's phone (baresip, PCMU) that rings and never answers; resolves once it listens, with
 * its call to come (closed when the gateway cancels it).
 */
export async function ringingDesk(p: ForwardPhones): Promise<{ call: Promise<BaresipCallResult> }> {
  let listening!: () => void;
  const up = new Promise<void>((resolve) => (listening = resolve));
  const call = baresipCall({ answer: { sipPort: p.deskPort, user: p.desk, ringOnly: true, onListening: () => listening() }, microphone: p.personMic, codecs: ['PCMU'], hangupAfterMs: 1_000, establishTimeoutMs: 30_000 });
  await Promise.race([up, call.then((c) => Promise.reject(new Error(`the desk exited before it listened\n${describeCall(c)}`)))]);
  return { call };
}

/**
 * The person (baresip, G.722 only) listens, and the desk too when `desk` is set; once they do, the caller (baresip,
 * PCMU) dials `number` with `callerMic` and `onDialled` runs. Resolves when the calls are over, with what each heard,
 * after checking the caller's and the person's were established.
 */
export async function callAndAnswer(
  p: ForwardPhones,
  gateway: TestGateway,
  number: string,
  callerMic: { path: string },
  options: { callerHangupAfterMs?: number; personHangupAfterMs?: number; onDialled?: () => void; desk?: boolean; callerDtmf?: { afterMs: number; digits: string } } = {},
): Promise<{ caller: BaresipCallResult; person: BaresipCallResult; callerHeard: Wav; personHeard: Wav; desk: BaresipCallResult | undefined }> {
  const desk = options.desk === true ? await ringingDesk(p) : undefined;
  const { caller: heardByCaller, answerer: person } = await callAnswered({
    // The caller hangs up first (its BYE ends this leg: peer-hangup), unless the person is told to.
    answerer: { sipPort: p.personPort, user: p.person, microphone: p.personMic, codecs: ['G722'], hangupAfterMs: options.personHangupAfterMs ?? 20_000, establishTimeoutMs: 20_000 },
    caller: {
      uri: `sip:${number}@127.0.0.1:${gateway.sipPort}`,
      microphone: callerMic.path,
      codecs: ['PCMU'],
      hangupAfterMs: options.callerHangupAfterMs ?? 7_000,
      establishTimeoutMs: 15_000,
      ...(options.callerDtmf === undefined ? {} : { dtmf: options.callerDtmf }),
    },
    ...(options.onDialled === undefined ? {} : { onDialled: options.onDialled }),
  });
  expect(heardByCaller.established, describeCall(heardByCaller)).toBe(true);
  expect(person.established, describeCall(person)).toBe(true);
  expect(heardByCaller.codec, describeCall(heardByCaller)).toMatch(/^PCMU/);
  expect(person.codec, describeCall(person)).toMatch(/^G722/);
  if (!heardByCaller.heard || !person.heard) throw new Error('no recording');
  return { caller: heardByCaller, person, callerHeard: heardByCaller.heard, personHeard: person.heard, desk: await desk?.call };
}
