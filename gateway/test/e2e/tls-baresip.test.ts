/**
 * SIP over TLS end to end: baresip (its own TLS stack, verifying the gateway's certificate against the test CA
 * with `sip_cafile`) calls the `echo` agent over TLS signalling with plain RTP; what it says must come back
 * (NCC ≥ 0.9, as over UDP). The 200 OK's Contact names our TLS port with `;transport=tls`, Via says TLS, and
 * /stats and /metrics show the TLS connection. Mutual TLS: a baresip presenting a certificate of our CA gets
 * through, one without a certificate does not. (baresip 1.0 loads `sip_cafile` but does not refuse a server
 * certificate of another CA; checked by hand: the gateway's own verification is tested with node's TLS in
 * tls-transport.test.ts and outbound-tls.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechWav, wavDurationMs, type Wav } from '../helpers/audio.js';
import { scoreEcho } from '../helpers/correlation.js';
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

const ECHO_NUMBER = '+15550100001';
const MIN_NCC = 0.9;

describe('baresip over TLS to the echo agent', () => {
  let dir: string;
  let pki: TestPki;
  let gw: TestGateway | undefined;
  let mic: { path: string; wav: Wav };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-tls-e2e-'));
    pki = makeTestPki();
    const path = join(dir, 'speech.wav');
    mic = { path, wav: await speechWav(path, 'Patchbay over TLS, one two three', { sampleRate: 8_000, leadMs: 200, tailMs: 200 }) };
    gw = await startTestGateway({
      sip: { tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey } },
      media: { codecs: ['PCMU'] },
      numbers: { [ECHO_NUMBER]: { agent: 'echo' } },
    });
  });

  afterAll(async () => {
    await gw?.close();
    pki.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('the caller hears itself (NCC ≥ 0.9); Contact and Via say TLS; /stats and /metrics count the connection', async () => {
    if (gw === undefined) throw new Error('gateway did not start');
    const tlsPort = gw.gateway.tlsPort;
    expect(tlsPort).toBeGreaterThan(0);
    const result = await baresipCall({
      uri: `sip:${ECHO_NUMBER}@127.0.0.1:${tlsPort};transport=tls`,
      tls: { caFile: pki.caCert },
      codecs: ['PCMU'],
      microphone: mic.path,
      hangupAfterMs: wavDurationMs(mic.wav) + 1_000,
      establishTimeoutMs: 10_000,
    });
    expect(result.established, describeCall(result)).toBe(true);
    // baresip's SIP trace: its INVITE went out over TLS, and our 200 OK's Contact names the TLS port.
    expect(result.log, describeCall(result)).toMatch(/^Via: SIP\/2\.0\/TLS /m);
    expect(result.log, describeCall(result)).toContain(`Contact: <sip:patchbay@127.0.0.1:${tlsPort};transport=tls>`);
    expect(result.heard, describeCall(result)).toBeDefined();
    if (result.heard === undefined) return;
    // As echo-call.test.ts: each utterance aligned on its own lag; the length-weighted NCC must reach MIN_NCC.
    const { ncc, utterances, detail } = await scoreEcho(mic.wav, result.heard);
    console.log(`[tls] baresip over TLS → echo, PCMU: NCC ${ncc.toFixed(4)} (length-weighted over ${utterances.length} utterances) ${detail}`);
    expect(utterances.length, detail).toBeGreaterThanOrEqual(3);
    expect(ncc, detail).toBeGreaterThanOrEqual(MIN_NCC);
    await gw.waitForIdle(5_000);
    const stats = await gw.gateway.stats();
    expect(stats.sip.tlsHandshakeFailures).toBe(0);
    expect(stats.endReasons['remote-bye'] ?? 0).toBeGreaterThanOrEqual(1);
    const metrics = await gw.metrics();
    expect(metrics).toMatch(/^patchbay_sip_tls_connections \d+$/m);
    expect(metrics).toMatch(/^patchbay_sip_tls_handshake_failures_total 0$/m);
  }, 60_000);

  it('TLS signalling with SRTP mandatory (baresip srtp-mand, number srtp: required): the caller hears itself (NCC ≥ 0.9), no SRTP failure', async () => {
    const secure = await startTestGateway({
      sip: { tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey } },
      media: { codecs: ['PCMU'] },
      numbers: { [ECHO_NUMBER]: { agent: 'echo', srtp: 'required' } },
    });
    try {
      const result = await baresipCall({
        uri: `sip:${ECHO_NUMBER}@127.0.0.1:${secure.gateway.tlsPort ?? 0};transport=tls`,
        tls: { caFile: pki.caCert },
        mediaenc: 'srtp-mand',
        codecs: ['PCMU'],
        microphone: mic.path,
        hangupAfterMs: wavDurationMs(mic.wav) + 1_000,
        establishTimeoutMs: 10_000,
      });
      expect(result.established, describeCall(result)).toBe(true);
      expect(result.log, describeCall(result)).toMatch(/^Via: SIP\/2\.0\/TLS /m);
      // The offer was RTP/SAVP with SDES keys, and baresip runs SRTP on the suite we answered.
      expect(result.log, describeCall(result)).toMatch(/^m=audio \d+ RTP\/SAVP /m);
      expect(result.log, describeCall(result)).toContain('SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)');
      expect(result.heard, describeCall(result)).toBeDefined();
      if (result.heard === undefined) return;
      const { ncc, utterances, detail } = await scoreEcho(mic.wav, result.heard);
      console.log(`[tls+srtp] baresip over TLS with SRTP → echo, PCMU: NCC ${ncc.toFixed(4)} ${detail}`);
      expect(utterances.length, detail).toBeGreaterThanOrEqual(3);
      expect(ncc, detail).toBeGreaterThanOrEqual(MIN_NCC);
      await secure.waitForIdle(5_000);
      const stats = await secure.gateway.stats();
      expect(stats.media.srtpFailures.auth, JSON.stringify(stats.media.srtpFailures)).toBe(0);
      expect(stats.media.srtpFailures.replay).toBe(0);
    } finally {
      await secure.close();
    }
  }, 60_000);

  it('mutual TLS (sip.tls.requireClientCert): baresip with a certificate of our CA gets through; without one it does not, counted', async () => {
    const mutual = await startTestGateway({
      sip: { tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert, requireClientCert: true } },
      media: { codecs: ['PCMU'] },
      numbers: { [ECHO_NUMBER]: { agent: 'echo' } },
    });
    try {
      const uri = `sip:${ECHO_NUMBER}@127.0.0.1:${mutual.gateway.tlsPort ?? 0};transport=tls`;
      const identity = join(dir, 'baresip-client.pem');
      await writeFile(identity, pki.read(pki.clientCert) + pki.read(pki.clientKey));
      const ok = await baresipCall({ uri, tls: { caFile: pki.caCert, certFile: identity }, codecs: ['PCMU'], microphone: mic.path, hangupAfterMs: 500, establishTimeoutMs: 10_000 });
      expect(ok.established, describeCall(ok)).toBe(true);
      await mutual.waitForIdle(5_000);
      expect((await mutual.gateway.stats()).sip.tlsHandshakeFailures).toBe(0);
      const refused = await baresipCall({ uri, tls: { caFile: pki.caCert }, codecs: ['PCMU'], microphone: mic.path, hangupAfterMs: 500, establishTimeoutMs: 5_000 });
      expect(refused.established, describeCall(refused)).toBe(false);
      expect((await mutual.gateway.stats()).sip.tlsHandshakeFailures).toBeGreaterThan(0);
      expect(mutual.gateway.activeCalls()).toBe(0);
    } finally {
      await mutual.close();
    }
  }, 60_000);
});
