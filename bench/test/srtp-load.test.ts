/**
 * The load generator's SRTP: the RTP/SAVP offer and the answer's key, the INVITE against a scripted SRTP answerer,
 * and an RtpCall whose packets a far end with the mirrored keys (the gateway's library) unprotects to the same RTP
 * as a plain call sends, and whose refusals are counted.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createSrtpSession, loadResampler, parseRtp, SRTP_SUITES, type SrtpKeyMaterial, type SrtpSuite } from '@patchbay/gateway';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { emptyBargeInCounts } from '../src/load/barge-in-tracker.js';
import { codecProfile } from '../src/load/codec-profile.js';
import { encodeLoop } from '../src/load/payload-loop.js';
import { RtpCall, type CallShared } from '../src/load/rtp-call.js';
import { offerSdp } from '../src/load/sdp-media.js';
import { SipUa, SipUaError } from '../src/load/sip-ua.js';
import { answeredSrtpKey, cryptoAttribute, newSrtpKey, srtpOrder, SRTP_MODE_SUITE } from '../src/load/srtp-offer.js';
import { echoLoop, markerTemplate } from '../src/load/signals.js';
import { Samples } from '../src/stats.js';

const SUITES = Object.values(SRTP_MODE_SUITE);
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});
beforeAll(async () => {
  await loadResampler();
});

const keyText = (k: SrtpKeyMaterial): string => Buffer.concat([k.masterKey, k.masterSalt]).toString('base64');

function answer(profile: string, crypto: readonly string[]): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 40002 ${profile} 0 101`,
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', ...crypto, 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

describe('the SRTP offer', () => {
  it('--srtp all is plain, then AES-CM, then GCM', () => {
    expect(srtpOrder('all')).toEqual(['off', 'aes-cm', 'gcm']);
    expect(srtpOrder('gcm')).toEqual(['gcm']);
  });

  it('--repeat alternates the order each round so a drift weighs on every mode alike', () => {
    expect(srtpOrder('all', 3)).toEqual(['off', 'aes-cm', 'gcm', 'gcm', 'aes-cm', 'off', 'off', 'aes-cm', 'gcm']);
    expect(srtpOrder('off', 2)).toEqual(['off', 'off']);
  });

  it.each(SUITES)('offers RTP/SAVP with one %s key (tag 1), and a plain offer stays RTP/AVP', (suite) => {
    const key = newSrtpKey(suite);
    expect(key.masterKey.length).toBe(SRTP_SUITES[suite].keyLength);
    expect(key.masterSalt.length).toBe(SRTP_SUITES[suite].saltLength);
    const lines = offerSdp(codecProfile('PCMU'), 4000, 7, key).split('\r\n');
    expect(lines).toContain('m=audio 4000 RTP/SAVP 0');
    expect(lines.filter((l) => l.startsWith('a=crypto:'))).toEqual([`a=crypto:1 ${suite} inline:${keyText(key)}`]);
    expect(offerSdp(codecProfile('PCMU'), 4000, 7)).toContain('m=audio 4000 RTP/AVP 0');
    expect(offerSdp(codecProfile('PCMU'), 4000, 7)).not.toContain('a=crypto');
  });

  it.each(SUITES)("reads the answer's %s key, and refuses a plain answer, another suite or a short key", (suite) => {
    const theirs = newSrtpKey(suite);
    const got = answeredSrtpKey(answer('RTP/SAVP', [`${cryptoAttribute(1, theirs)}|2^31`]), suite);
    expect(got === undefined ? undefined : keyText(got)).toBe(keyText(theirs));
    expect(answeredSrtpKey(answer('RTP/AVP', [cryptoAttribute(1, theirs)]), suite)).toBeUndefined();
    const other: SrtpSuite = suite === 'AEAD_AES_128_GCM' ? 'AES_CM_128_HMAC_SHA1_80' : 'AEAD_AES_128_GCM';
    expect(answeredSrtpKey(answer('RTP/SAVP', [cryptoAttribute(1, newSrtpKey(other))]), suite)).toBeUndefined();
    expect(answeredSrtpKey(answer('RTP/SAVP', [`a=crypto:1 ${suite} inline:${Buffer.alloc(20).toString('base64')}`]), suite)).toBeUndefined();
  });
});

/** A UAS that answers every INVITE 200 with `body(offer)` and records the offers. */
async function answerer(body: (offer: string) => string): Promise<{ port: number; offers: string[]; socket: Socket }> {
  const socket = createSocket('udp4');
  const offers: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString('latin1');
    if (!text.startsWith('INVITE ')) return;
    const [head = '', offer = ''] = text.split('\r\n\r\n');
    offers.push(offer);
    const keep = head.split('\r\n').filter((l) => /^(Via|From|Call-ID|CSeq):/i.test(l));
    const to = head.split('\r\n').find((l) => /^To:/i.test(l)) ?? 'To: <sip:x@127.0.0.1>';
    const sdp = body(offer);
    const reply = ['SIP/2.0 200 OK', ...keep, `${to};tag=uas1`, 'Contact: <sip:uas@127.0.0.1>', 'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp].join('\r\n');
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: socket.address().port, offers, socket };
}

describe('SipUa with an SRTP offer', () => {
  it('keeps our key and the answer\'s as the dialog\'s SRTP keys', async () => {
    const theirs = newSrtpKey('AEAD_AES_128_GCM');
    const uas = await answerer(() => answer('RTP/SAVP', [cryptoAttribute(1, theirs)]));
    const ua = await SipUa.open('127.0.0.1', uas.port);
    cleanup.push(() => ua.close(), () => uas.socket.close());
    const ours = newSrtpKey('AEAD_AES_128_GCM');
    const dialog = await ua.invite('+15550001', 4000, codecProfile('PCMU'), 2_000, ours);
    expect(uas.offers[0]).toContain(`a=crypto:1 AEAD_AES_128_GCM inline:${keyText(ours)}`);
    expect(dialog.srtp?.local).toBe(ours);
    expect(dialog.srtp === undefined ? '' : keyText(dialog.srtp.remote)).toBe(keyText(theirs));
  });

  it('fails the call when the answer to an SRTP offer is plain RTP', async () => {
    const uas = await answerer(() => answer('RTP/AVP', []));
    const ua = await SipUa.open('127.0.0.1', uas.port);
    cleanup.push(() => ua.close(), () => uas.socket.close());
    const err = await ua.invite('+15550001', 4000, codecProfile('PCMU'), 2_000, newSrtpKey('AES_CM_128_HMAC_SHA1_80')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipUaError);
    expect(err instanceof SipUaError ? err.code : '').toBe('SIP_UA_BAD_ANSWER');
  });
});

function shared(): CallShared {
  const echo = encodeLoop(echoLoop(), 'PCMU');
  return {
    codec: codecProfile('PCMU'), echo, turn: { ...echo, utterancePackets: 10 }, bargeIn: { ...echo, onsetPacket: 10 },
    template: markerTemplate(), roundTripMs: new Samples(), turnMs: new Samples(), bargeInMs: new Samples(),
    bargeInCounts: emptyBargeInCounts(), jitterMs: new Samples(),
  };
}

describe.each(SUITES)('RtpCall over SRTP (%s)', (suite) => {
  it('sends SRTP the far end unprotects to the plain RTP a call sends, takes SRTP back, counts what does not unprotect', async () => {
    const ours = newSrtpKey(suite);
    const theirs = newSrtpKey(suite);
    const far = createSrtpSession({ local: theirs, remote: ours });
    const socket = createSocket('udp4');
    const got: Buffer[] = [];
    socket.on('message', (m: Buffer) => got.push(m));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const call = await RtpCall.open('echo', shared());
    cleanup.push(() => call.close(), () => socket.close());
    call.sending = true;
    await call.start({ address: '127.0.0.1', port: socket.address().port }, 0, { local: ours, remote: theirs });
    const N = 60;
    for (let i = 0; i < N; i++) call.sendNext();
    await vi.waitFor(() => expect(got.length).toBe(N), { timeout: 5_000 });

    const tag = SRTP_SUITES[suite].tagLength;
    const plain = got.map((wire) => {
      expect(wire.length).toBe(12 + 160 + tag);
      const r = far.unprotectRtp(wire);
      if (!r.ok) throw new Error(`far end refused: ${r.failure}`);
      expect(wire.subarray(0, 12).equals(r.packet.subarray(0, 12))).toBe(true); // header in the clear
      expect(wire.subarray(12, 172).equals(r.packet.subarray(12))).toBe(false); // payload encrypted
      return parseRtp(r.packet);
    });
    const first = plain[0];
    plain.forEach((p, i) => {
      expect(p?.payloadType).toBe(0);
      expect(p?.payload.length).toBe(160);
      expect(p?.sequenceNumber).toBe(((first?.sequenceNumber ?? 0) + i) & 0xffff);
    });

    // Back: protected by the far end, then one tampered packet and one under the wrong key.
    const port = call.port;
    for (let i = 0; i < N; i++) {
      const header = Buffer.from([0x80, 0, (i >> 8) & 0xff, i & 0xff, 0, 0, 0, i, 1, 2, 3, 4]);
      socket.send(far.protectRtp(Buffer.concat([header, Buffer.alloc(160, 0xff)])), port, '127.0.0.1');
    }
    const tampered = far.protectRtp(Buffer.concat([Buffer.from([0x80, 0, 1, 0, 0, 0, 1, 0, 1, 2, 3, 4]), Buffer.alloc(160, 0xff)]));
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    socket.send(tampered, port, '127.0.0.1');
    const stranger = createSrtpSession({ local: newSrtpKey(suite), remote: ours });
    socket.send(stranger.protectRtp(Buffer.concat([Buffer.from([0x80, 0, 2, 0, 0, 0, 2, 0, 1, 2, 3, 4]), Buffer.alloc(160, 0xff)])), port, '127.0.0.1');
    await vi.waitFor(() => expect(call.received + call.srtpRefused).toBe(N + 2), { timeout: 5_000 });
    expect(call.received).toBe(N);
    expect(call.srtpRefused).toBe(2);
  });
});

describe('--srtp on the command line and in the report', () => {
  it('parses off|aes-cm|gcm|all, names the run, and refuses combinations it does not measure', async () => {
    const { parseCli, CliError } = await import('../src/cli.js');
    expect(parseCli(['--srtp', 'all'], '/r')).toMatchObject({ srtp: 'all', name: 'srtp-all' });
    expect(parseCli(['--srtp', 'gcm', '--records', 'off'], '/r')).toMatchObject({ srtp: 'gcm', records: 'off' });
    expect(() => parseCli(['--srtp', 'aes'], '/r')).toThrow(CliError);
    expect(() => parseCli(['--srtp', 'all', '--records', 'on'], '/r')).toThrow(/records off/);
    expect(() => parseCli(['--srtp', 'all', '--ramp'], '/r')).toThrow(CliError);
    expect(parseCli(['--srtp', 'all', '--repeat', '4'], '/r')).toMatchObject({ repeat: 4 });
    expect(parseCli([], '/r')).toMatchObject({ repeat: 1 });
    expect(() => parseCli(['--repeat', '2'], '/r')).toThrow(/add --srtp/);
    expect(() => parseCli(['--srtp', 'all', '--repeat', '0'], '/r')).toThrow(/--repeat/);
  });

  it('reports each suite against the plain run', async () => {
    const { srtpSection } = await import('../src/report/srtp.js');
    const run = (mode: 'off' | 'aes-cm' | 'gcm', cpu: number) => ({
      mode, ...(mode === 'off' ? {} : { suite: SRTP_MODE_SUITE[mode] }), callsUp: 100, failedCalls: 0, lossPct: 0,
      gateway: { cpuMsPerCallSecond: cpu, rssMiBPerCall: 0, rssMiB: 0 },
      lifecycle: { cpuMs: 1, wallS: 1, callSeconds: 1, cpuMsPerCallSecond: cpu * 1.1 }, srtpRefused: 0, roundTrips: 5, roundTripP50Ms: 120, gatewayFailures: { auth: 0, replay: 0, malformed: 0 },
    });
    const md = srtpSection([run('off', 6), run('aes-cm', 6.6), run('gcm', 7.8)], undefined) ?? '';
    expect(md).toContain('| 2 | AES_CM_128_HMAC_SHA1_80 | 100 (0) | 6.600 | 1.100× |');
    expect(md).toContain('| 3 | AEAD_AES_128_GCM | 100 (0) | 7.800 | 1.300× **over 1.2×** |');
    expect(md).not.toContain('ratio of means');
    const repeated = srtpSection([run('off', 6), run('aes-cm', 6.6), run('aes-cm', 7.8), run('off', 5)], undefined) ?? '';
    expect(repeated).toContain('| off | 2 | 5.500 (5.000–6.000) | 1 (plain) |');
    expect(repeated).toContain('| AES_CM_128_HMAC_SHA1_80 | 2 | 7.200 (6.600–7.800) | 1.309× **over 1.2×** |');
  });
});
