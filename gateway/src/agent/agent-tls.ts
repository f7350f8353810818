/**
 * The TLS the gateway dials `wss://` agents with (`agents.tls`, docs/http.md): Node's bundled CAs plus `caFile`, and
 * a client certificate for agents that ask for one (mTLS). Verification is always on: there is no setting that
 * turns it off. The files are read once (at start and on SIGHUP) into PEM text, which crosses to the media workers;
 * each thread builds one SecureContext from it, reused by every call (not ~150 CAs parsed per call).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ConfigError } from '../config.js';
import type { AgentTlsConfig } from '../config-http.js';

/** PEM texts (structured-clone data: it goes to the media workers). */
export interface AgentTlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Reads `agents.tls`'s files; throws ConfigError naming the setting and the file. Undefined: nothing configured. */
export function loadAgentTls(config: AgentTlsConfig, baseDir: string): AgentTlsMaterial | undefined {
  const read = (setting: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    const path = resolve(baseDir, file);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError([`agents.tls.${setting}: cannot read ${path} (${err instanceof Error ? err.message : String(err)})`], `agents.tls.${setting}`, { cause: err });
    }
  };
  const ca = read('caFile', config.caFile);
  const cert = read('certFile', config.certFile);
  const key = read('keyFile', config.keyFile);
  if (ca === undefined && cert === undefined) return undefined;
  const material = { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
  try {
    agentSecureContext(material); // a CA file with no certificate, or a key that is not the certificate's, fails here
  } catch (err) {
    throw new ConfigError([`agents.tls: the files cannot be used (${err instanceof Error ? err.message : String(err)})`], 'agents.tls', { cause: err });
  }
  return material;
}

/** The context every `wss://` dial of this thread uses; undefined material: undefined (Node's defaults). */
export function agentSecureContext(material: AgentTlsMaterial | undefined): SecureContext | undefined {
  if (material === undefined) return undefined;
  return createSecureContext({
    // `ca` replaces Node's bundled CAs: keep them, so public agents still verify.
    ...(material.ca === undefined ? {} : { ca: [...rootCertificates, material.ca] }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.key === undefined ? {} : { key: material.key }),
  });
}

/**
 * A TLS failure while dialling (certificate verification, a handshake alert, a plain server on a wss:// URL): its
 * code (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`, `ERR_SSL_WRONG_VERSION_NUMBER`, ...);
 * undefined for anything else (a refused connection, a timeout).
 */
export function tlsFailureCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code === undefined) return undefined;
  return /^(ERR_TLS_|ERR_SSL_)|CERT|^UNABLE_TO_|SELF_SIGNED|^HOSTNAME_MISMATCH$/.test(code) ? code : undefined;
}
