/**
 * `http.tls`'s files read into what an HTTPS server takes: the key and certificate checked together (a key that is
 * not the certificate's, or a file that is no PEM, is refused here and not at the first handshake).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config.js';
import type { HttpTlsConfig } from '../config-http.js';

export interface ServerTlsMaterial {
  readonly options: ServerOptions & { key: Buffer; cert: Buffer };
  readonly certPath: string;
  readonly keyPath: string;
  /** The leaf certificate's serial number (hex) and end of validity, for the logs. */
  readonly serial: string;
  readonly notAfter: string;
  readonly subject: string;
}

/** Throws ConfigError naming the setting and the file. */
export function loadServerTls(tls: HttpTlsConfig, baseDir: string): ServerTlsMaterial {
  const certPath = resolve(baseDir, tls.certFile);
  const keyPath = resolve(baseDir, tls.keyFile);
  const cert = readSetting('http.tls.certFile', certPath);
  const key = readSetting('http.tls.keyFile', keyPath);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError([`http.tls.certFile: ${certPath} is not a PEM certificate (${message(err)})`], 'http.tls', { cause: err });
  }
  const options = { key, cert, minVersion: tls.minVersion };
  try {
    createSecureContext(options); // a key that is not the certificate's fails here
  } catch (err) {
    throw new ConfigError([`http.tls: ${keyPath} and ${certPath} cannot be used together (${message(err)})`], 'http.tls', { cause: err });
  }
  return { options, certPath, keyPath, serial: leaf.serialNumber, notAfter: leaf.validTo, subject: leaf.subject.replace(/\n/g, ', ') };
}

/** One object for a log line. */
export function describeCertificate(m: ServerTlsMaterial): { serial: string; notAfter: string; subject: string; file: string } {
  return { serial: m.serial, notAfter: m.notAfter, subject: m.subject, file: m.certPath };
}

function readSetting(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError([`${setting}: cannot read ${path} (${message(err)})`], setting, { cause: err });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
