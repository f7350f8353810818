/**
 * `http.tls`'s files read into what an HTTPS server takes: read and checked as SIP over TLS reads its own
 * (tls-credentials.ts: the key must be the certificate's, the files PEM), refused here and not at the first
 * handshake, as a configuration error naming the setting.
 */
import type { ServerOptions } from 'node:https';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import type { HttpTlsConfig } from '../config-http.js';
import { checkedCredentials } from '../sip/transport/tls-credentials.js';

export interface ServerTlsMaterial {
  readonly options: ServerOptions & { key: string; cert: string };
  readonly certPath: string;
  readonly keyPath: string;
  /** The leaf certificate's serial number (hex) and end of validity, for the logs. */
  readonly serial: string;
  readonly notAfter: string;
}

/** Throws ConfigError naming the setting and the file. */
export function loadServerTls(tls: HttpTlsConfig, baseDir: string): ServerTlsMaterial {
  const certPath = resolve(baseDir, tls.certFile);
  const keyPath = resolve(baseDir, tls.keyFile);
  const certText = readSetting('http.tls.certFile', certPath);
  const keyText = readSetting('http.tls.keyFile', keyPath);
  try {
    const { cert, key, serial, validTo } = checkedCredentials(certText, keyText, undefined, { certFile: certPath, keyFile: keyPath });
    return { options: { key, cert, minVersion: tls.minVersion }, certPath, keyPath, serial, notAfter: validTo };
  } catch (err) {
    throw new ConfigError([`http.tls (certFile, keyFile): ${err instanceof Error ? err.message : String(err)}`], 'http.tls', { cause: err });
  }
}

/** One object for a log line. */
export function describeCertificate(m: ServerTlsMaterial): { serial: string; notAfter: string; file: string } {
  return { serial: m.serial, notAfter: m.notAfter, file: m.certPath };
}

function readSetting(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${setting}: cannot read ${path} (${err instanceof Error ? err.message : String(err)})`], setting, { cause: err });
  }
}
