/**
 * The TLS server's certificate, key and CA files: read (and checked: the key must match the certificate) into the
 * options of a secure context, and watched so a reissued certificate is taken without a restart. A watch event is
 * debounced (a renewal writes key and certificate one after the other) and a set of files that does not load is
 * reported, never applied.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
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
  return checked(read(files.certFile), read(files.keyFile), files.caFile === undefined ? undefined : read(files.caFile), files);
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
  return checked(cert, key, ca, files);
}

function checked(cert: string, key: string, ca: string | undefined, files: TlsFiles): TlsCredentials {
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

/**
 * Calls `onChange` once the files have been quiet for `debounceMs` after a change. Watches their directories (a
 * file replaced by a rename, as certbot and editors do, is still seen). `close()` stops it.
 */
export function watchFiles(files: TlsFiles, debounceMs: number, onChange: () => void, onError: (err: unknown) => void): { close(): void } {
  const paths = [files.certFile, files.keyFile, ...(files.caFile === undefined ? [] : [files.caFile])];
  const byDir = new Map<string, Set<string>>();
  for (const p of paths) {
    const names = byDir.get(dirname(p)) ?? new Set<string>();
    names.add(basename(p));
    byDir.set(dirname(p), names);
  }
  let timer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name.toString())) changed();
      });
      w.on('error', onError);
      watchers.push(w);
    } catch (err) {
      onError(err);
    }
  }
  return {
    close: () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
