/**
 * The TLS server's certificate, key and CA files: read (and checked: the key must match the certificate) into the
 * options of a secure context, and watched so a reissued certificate is taken without a restart (the HTTPS listener
 * uses the same watch). A set of files that does not load is reported, never applied.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';

/** `sip.tls.minVersion` as TLS calls it. */
export const TLS_MIN_VERSIONS = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' } as const;
export type TlsMinVersion = keyof typeof TLS_MIN_VERSIONS;

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** CAs that client certificates must chain to (mutual TLS); default the system's. */
  readonly caFile?: string | undefined;
}

export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
  /** The certificate's serial number (hex, upper case) and end of validity, for logs. */
  readonly serial: string;
  readonly validTo: string;
}

/** Reads and checks the files at start; throws SipTransportError(TlsCredentials) naming the file. */
export function loadCredentialsSync(files: TlsFiles): TlsCredentials {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new SipTransportError(`cannot read TLS file ${path}`, SipTransportErrorCode.TlsCredentials, err);
    }
  };
  return checkedCredentials(read(files.certFile), read(files.keyFile), files.caFile === undefined ? undefined : read(files.caFile), files);
}

/** Reads and checks the files again (a reload); rejects with SipTransportError(TlsCredentials). */
export async function loadCredentials(files: TlsFiles): Promise<TlsCredentials> {
  const read = async (path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new SipTransportError(`cannot read TLS file ${path}`, SipTransportErrorCode.TlsCredentials, err);
    }
  };
  const [cert, key, ca] = await Promise.all([read(files.certFile), read(files.keyFile), files.caFile === undefined ? undefined : read(files.caFile)]);
  return checkedCredentials(cert, key, ca, files);
}

/** Checks PEM texts read from `files` (the key must be the certificate's); throws SipTransportError(TlsCredentials). */
export function checkedCredentials(cert: string, key: string, ca: string | undefined, files: TlsFiles): TlsCredentials {
  let x509: X509Certificate;
  try {
    tls.createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) }); // throws on a bad PEM or a key that does not match
    x509 = new X509Certificate(cert);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new SipTransportError(`TLS certificate ${files.certFile} / key ${files.keyFile} unusable: ${detail}`, SipTransportErrorCode.TlsCredentials, err);
  }
  return { cert, key, ca, serial: x509.serialNumber.toUpperCase(), validTo: x509.validTo };
}

/** How often certificate files are checked for a change, by default (SIP over TLS and HTTPS alike). */
export const CERT_WATCH_INTERVAL_MS = 5_000;
/** Quiet time after a change before the files are read: a renewal writes key and certificate one after the other. */
const CERT_SETTLE_MS = 200;

/**
 * Calls `onChange` once the files at `paths` have changed and then stayed quiet for a moment. Each path's stat
 * (inode, mtime, size, following symlinks) is polled every `intervalMs`: a renewal that swaps a symlink (Kubernetes'
 * secret volumes swap `..data`; certbot repoints `live/`) or replaces a file by a rename changes what the path
 * resolves to, which a directory watch would report under another name or not at all. `close()` stops it.
 */
export function watchCertificateFiles(paths: readonly string[], intervalMs: number, onChange: () => void): { close(): void } {
  let settle: NodeJS.Timeout | undefined;
  const changed = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    clearTimeout(settle);
    settle = setTimeout(onChange, CERT_SETTLE_MS);
    settle.unref();
  };
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, changed);
  return {
    close: () => {
      clearTimeout(settle);
      for (const path of paths) unwatchFile(path, changed);
    },
  };
}
