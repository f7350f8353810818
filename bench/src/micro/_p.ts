import { performance } from 'node:perf_hooks';
import { createSrtpSession } from '@patchbay/gateway';
const k = (s: number) => ({ suite: 'AES_CM_128_HMAC_SHA1_80' as const, masterKey: new Uint8Array(16).fill(s), masterSalt: new Uint8Array(14).fill(s + 1) });
const a = createSrtpSession({ local: k(1), remote: k(2) });
const pkt = new Uint8Array(172); pkt[0] = 0x80;
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 50000; i++) { pkt[2] = (i >> 8) & 0xff; pkt[3] = i & 0xff; a.protectRtp(pkt); }
  console.log('protect ns', ((performance.now() - t0) * 1e6) / 50000);
}
