/**
 * A throwaway PKI for TLS tests: a CA, a server certificate for `localhost`/127.0.0.1/::1 (plus any extra names)
 * and a client certificate, all signed by the CA, written as PEM files in a temp dir by Debian's `openssl`
 * (EC P-256 keys: fast to make). A second call gives an unrelated CA (for "wrong CA" tests). Missing openssl
 * fails with the install line, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL_INSTALL = 'apt-get install -y --no-install-recommends openssl';

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Re-issues the server certificate in place (same paths, new serial and key): for reload tests. */
  reissueServer(): void;
  /** PEM text of a file above. */
  read(path: string): string;
  remove(): void;
}

export interface TestPkiOptions {
  /** Extra DNS names for the server certificate (SNI tests). */
  readonly serverNames?: readonly string[];
  /** Days the certificates are valid; negative: already expired (notAfter in the past is not settable, so -1 gives a 1-second certificate). */
  readonly days?: number;
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`openssl not found: ${OPENSSL_INSTALL}`);
    throw err;
  }
}

export function makeTestPki(options: TestPkiOptions = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-pki-'));
  const p = (name: string): string => join(dir, name);
  const days = String(options.days ?? 30);
  const names = ['localhost', ...(options.serverNames ?? [])];
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');

  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('ca.key')], dir);
  openssl(['req', '-x509', '-new', '-key', p('ca.key'), '-sha256', '-days', days, '-subj', `/CN=Patchbay Test CA ${Date.now()}`, '-out', p('ca.crt')], dir);

  const issue = (name: string, cn: string, ext: string): void => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p(`${name}.key`)], dir);
    openssl(['req', '-new', '-key', p(`${name}.key`), '-subj', `/CN=${cn}`, '-out', p(`${name}.csr`)], dir);
    writeFileSync(p(`${name}.ext`), ext);
    openssl(
      ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', days, '-sha256', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`)],
      dir,
    );
  };
  const issueServer = (): void => issue('server', 'localhost', `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  issueServer();
  issue('client', 'patchbay-test-client', 'extendedKeyUsage=clientAuth\n');

  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    reissueServer: issueServer,
    read: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
