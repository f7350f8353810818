import { X509Certificate } from 'node:crypto';
import { expect, it } from 'vitest';
import { makeTestPki } from './certs.js';
it('makes a CA-signed server certificate for 127.0.0.1', () => {
  const pki = makeTestPki();
  const s = new X509Certificate(pki.read(pki.serverCert));
  const ca = new X509Certificate(pki.read(pki.caCert));
  expect(s.verify(ca.publicKey)).toBe(true);
  expect(s.checkIP('127.0.0.1')).toBe('127.0.0.1');
  pki.remove();
});
