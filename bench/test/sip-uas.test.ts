import { afterEach, describe, expect, it } from 'vitest';
import { codecProfile } from '../src/load/codec-profile.js';
import { answeredMedia, answerSdp, offeredMedia } from '../src/load/sdp-media.js';
import { tagOf, uriOf, type SipMessage } from '../src/load/sip-message.js';
import { SipUas, type UasDecision, type UasHost, type UasInvite } from '../src/load/sip-uas.js';
import { gatewayOffer, ScriptedUac } from './scripted-uac.js';

/** A host that answers in the offered codec (or refuses with `reject`) and records what it is told. */
class RecordingHost implements UasHost {
  readonly invites: UasInvite[] = [];
  readonly events: string[] = [];
  answeredAt = 0;
  ackedAt = 0;
  constructor(private readonly reject?: number) {}
  invite(invite: UasInvite): UasDecision {
    this.invites.push(invite);
    if (this.reject !== undefined) return { reject: this.reject };
    const codec = codecProfile('opus');
    const media = offeredMedia(invite.offer, codec);
    if (media === undefined) return { reject: 488 };
    return { answer: answerSdp(codec, 40_000, media.payloadType) };
  }
  answered(callId: string, atMs: number): void {
    this.answeredAt = atMs;
    this.events.push(`answered ${callId}`);
  }
  acked(callId: string, atMs: number): void {
    this.ackedAt = atMs;
    this.events.push(`acked ${callId}`);
  }
  ended(callId: string, by: 'bye' | 'cancel'): void {
    this.events.push(`ended ${callId} ${by}`);
  }
  failed(callId: string, reason: string): void {
    this.events.push(`failed ${callId} ${reason}`);
  }
}

const statusOf = (status: number, method = 'INVITE') => (m: SipMessage): boolean => m.status === status && m.cseq.endsWith(method);

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function setup(host: RecordingHost, ringMs = 0): Promise<{ uas: SipUas; uac: ScriptedUac }> {
  const uas = await SipUas.open({ ringMs });
  uas.attach(host);
  const uac = await ScriptedUac.open(uas.port);
  open.push(uac, uas);
  return { uas, uac };
}

describe('SipUas (the carrier side of outbound calls)', () => {
  it('answers 100, 180 then 200 with an answer in the offered codec, keeps the offer\'s payload type, and is up at the ACK', async () => {
    const host = new RecordingHost();
    const { uas, uac } = await setup(host);
    uac.send(uac.invite({ callId: 'c1', user: '+15552000001', branch: 'z9hG4bKi1', offer: gatewayOffer(30_000) }));
    const trying = await uac.waitFor(statusOf(100));
    const ringing = await uac.waitFor(statusOf(180));
    const ok = await uac.waitFor(statusOf(200));
    expect(uac.received.indexOf(trying)).toBeLessThan(uac.received.indexOf(ringing));
    expect(uac.received.indexOf(ringing)).toBeLessThan(uac.received.indexOf(ok));
    // The responses repeat the INVITE's Via (with its branch) and Call-ID; 180 and 200 carry the same To tag.
    expect(ok.headers.get('via')).toContain('branch=z9hG4bKi1');
    expect(ok.callId).toBe('c1');
    const toTag = tagOf(ok.headers.get('to') ?? '');
    expect(toTag).not.toBe('');
    expect(tagOf(ringing.headers.get('to') ?? '')).toBe(toTag);
    expect(uriOf(ok.headers.get('contact') ?? '')).toBe(`sip:carrier@127.0.0.1:${uas.port}`);
    const answer = answeredMedia(ok.body, codecProfile('opus'));
    expect(answer).toEqual({ address: '127.0.0.1', port: 40_000, payloadType: 107 });
    expect(ok.body).not.toContain('PCMU');
    expect(host.invites).toHaveLength(1);
    expect(host.invites[0]?.user).toBe('+15552000001');
    expect(host.answeredAt).toBeGreaterThanOrEqual(host.invites[0]?.receivedMs ?? Infinity);
    expect(host.events).toEqual(['answered c1']);
    expect(uas.liveCalls).toBe(1);

    uac.send(uac.ack({ callId: 'c1', user: '+15552000001', toTag }));
    await expect.poll(() => host.events).toContain('acked c1');
    expect(host.ackedAt).toBeGreaterThanOrEqual(host.answeredAt);
  });

  it('retransmits the 200 until the ACK, and answers a retransmitted INVITE without asking the host again', async () => {
    const host = new RecordingHost();
    const { uac } = await setup(host);
    const invite = uac.invite({ callId: 'c2', user: '+15552000002', branch: 'z9hG4bKi2', offer: gatewayOffer(30_002) });
    uac.send(invite);
    const ok = await uac.waitFor(statusOf(200));
    uac.send(invite);
    // T1 = 500 ms: the first retransmission comes within a second; the repeated INVITE is answered with the 200 too.
    await expect.poll(() => uac.count(statusOf(200)), { timeout: 2_000 }).toBeGreaterThanOrEqual(3);
    expect(host.invites).toHaveLength(1);
    uac.send(uac.ack({ callId: 'c2', user: '+15552000002', toTag: tagOf(ok.headers.get('to') ?? '') }));
    await expect.poll(() => host.events).toContain('acked c2');
    const after = uac.count(statusOf(200));
    // The next retransmission would be due 1.5 s after the first 200 (T1, then 2·T1): wait past it; none may come.
    await new Promise((r) => setTimeout(r, 1_600));
    expect(uac.count(statusOf(200))).toBe(after);
  });

  it('ends the call on the far end\'s BYE (200) and answers a BYE for an unknown call 481', async () => {
    const host = new RecordingHost();
    const { uac } = await setup(host);
    uac.send(uac.invite({ callId: 'c3', user: '+15552000003', branch: 'z9hG4bKi3', offer: gatewayOffer(30_006) }));
    const ok = await uac.waitFor(statusOf(200));
    const toTag = tagOf(ok.headers.get('to') ?? '');
    uac.send(uac.ack({ callId: 'c3', user: '+15552000003', toTag }));
    await expect.poll(() => host.events).toContain('acked c3');
    uac.send(uac.bye({ callId: 'c3', user: '+15552000003', toTag, cseq: 2 }));
    await uac.waitFor((m) => m.callId === 'c3' && m.status === 200 && m.cseq === '2 BYE');
    expect(host.events).toContain('ended c3 bye');
    uac.send(uac.bye({ callId: 'nope', user: '+15552000003', toTag: 'x', cseq: 2 }));
    await uac.waitFor((m) => m.callId === 'nope' && m.status === 481);
  });

  it('sends its own BYE in the dialog (From our tag, To theirs, to their Contact) and resolves with the status', async () => {
    const host = new RecordingHost();
    const { uas, uac } = await setup(host);
    uac.send(uac.invite({ callId: 'c4', user: '+15552000004', branch: 'z9hG4bKi4', offer: gatewayOffer(30_008) }));
    const ok = await uac.waitFor(statusOf(200));
    const toTag = tagOf(ok.headers.get('to') ?? '');
    uac.send(uac.ack({ callId: 'c4', user: '+15552000004', toTag }));
    await expect.poll(() => host.events).toContain('acked c4');
    const done = uas.bye('c4');
    const bye = await uac.waitFor((m) => m.method === 'BYE' && m.callId === 'c4');
    expect(bye.uri).toBe(`sip:patchbay@127.0.0.1:${uac.port}`);
    expect(tagOf(bye.headers.get('from') ?? '')).toBe(toTag);
    expect(tagOf(bye.headers.get('to') ?? '')).toBe('gw1');
    uac.send(uac.ok(bye));
    await expect(done).resolves.toBe(200);
    expect(uas.liveCalls).toBe(0);
    await expect(uas.bye('c4')).resolves.toBe(481);
  });

  it('answers a CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, no 200 to the INVITE', async () => {
    const host = new RecordingHost();
    const { uac } = await setup(host, 1_000);
    uac.send(uac.invite({ callId: 'c5', user: '+15552000005', branch: 'z9hG4bKi5', offer: gatewayOffer(30_010) }));
    await uac.waitFor(statusOf(180));
    uac.send(uac.cancel({ callId: 'c5', user: '+15552000005', branch: 'z9hG4bKi5' }));
    await uac.waitFor(statusOf(200, 'CANCEL'));
    await uac.waitFor(statusOf(487));
    expect(host.events).toEqual(['ended c5 cancel']);
    // The ring time passes: the cancelled call is never answered.
    uac.send(uac.invite({ callId: 'probe', user: '+15552000098', branch: 'z9hG4bKp2', offer: gatewayOffer(30_012) }));
    await uac.waitFor((m) => m.callId === 'probe' && m.status === 200, 4_000);
    expect(uac.count((m) => m.callId === 'c5' && m.status === 200 && m.cseq === '1 INVITE')).toBe(0);
  });

  it('refuses with the host\'s status, and with 480 before a host is attached', async () => {
    const { uac } = await setup(new RecordingHost(486));
    uac.send(uac.invite({ callId: 'c6', user: '+15552000006', branch: 'z9hG4bKi6', offer: gatewayOffer(30_014) }));
    const busy = await uac.waitFor(statusOf(486));
    expect(tagOf(busy.headers.get('to') ?? '')).not.toBe('');

    const bare = await SipUas.open();
    const uac2 = await ScriptedUac.open(bare.port);
    open.push(uac2, bare);
    uac2.send(uac2.invite({ callId: 'c7', user: '+15552000007', branch: 'z9hG4bKi7', offer: gatewayOffer(30_016) }));
    await uac2.waitFor(statusOf(480));
  });
});
