/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630): the shared stream transport (limits, framing, connection reuse) with a
 * TLS handshake on every connection. Accepted connections are counted against the limits from their TCP accept on,
 * so a handshake is bounded by `incompleteMessageTimeoutMs` like a trickled first message; the handshake itself is
 * a `tls.Server` that is fed the accepted sockets (it verifies client certificates when `requireClientCert`).
 *
 * Connections we open verify the peer: against the system's CAs or the peer's profile `ca`, with the name the
 * profile gives (SNI and the certificate's subjectAltName) or, without one, the address. A failed handshake or an
 * unverified certificate fails the send (SipTransportError TlsFailed: the transaction answers 503); nothing is ever
 * sent without TLS instead.
 *
 * Certificate and key are reloaded on change (watched files, debounced) and by `reload()` (SIGHUP): new
 * connections get the new ones, open connections keep theirs; files that do not load are logged and the running
 * certificate stays.
 */
import { isIP } from 'node:net';
import type net from 'node:net';
import tls from 'node:tls';
import { StreamTransport, type StreamSockets, type StreamTransportOptions } from './stream-transport.js';
import { loadCredentials, loadCredentialsSync, TLS_MIN_VERSIONS, watchCertificateFiles, CERT_WATCH_INTERVAL_MS, type TlsCredentials, type TlsFiles, type TlsMinVersion } from './tls-credentials.js';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';
import { normalizeAddress, type RemoteInfo } from './types.js';

/** The TLS listener (`sip.tls`). */
export interface TlsServerSettings extends TlsFiles {
  readonly port: number;
  readonly minVersion: TlsMinVersion;
  /** Ask every client for a certificate chaining to `caFile` (or the system's CAs); refuse those without. */
  readonly requireClientCert: boolean;
  /** How often the files are checked for a change (watchCertificateFiles); 0: not watched (reload() only). Default 5 s. */
  readonly watchIntervalMs?: number;
}

/** How we connect to one peer (a trunk's `tls:`): PEM text, read at start. */
export interface TlsClientProfile {
  /** SNI and the name its certificate must carry; default none: the address is checked. */
  readonly serverName?: string | undefined;
  /** CAs its certificate must chain to; default the system's. */
  readonly ca?: string | undefined;
  /** Our client certificate and key, for peers that ask for one. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** Verify its certificate (default true). false is for lab setups only. */
  readonly verify: boolean;
}

/** TLS figures for GET /stats and /metrics. */
export interface TlsCounters {
  /** Accepted connections whose handshake did not complete: no shared version or cipher, a client certificate missing or not trusted, a peer gone mid-handshake. */
  tlsHandshakeFailures: number;
  /** Connections we opened whose handshake failed or whose peer's certificate did not verify. */
  tlsConnectFailures: number;
}

export type TlsReloadResult = { readonly ok: true; readonly serial: string } | { readonly ok: false; readonly error: string };


export class TlsTransport extends StreamTransport {
  private readonly tlsSockets: TlsSockets;
  private watcher: { close(): void } | undefined;
  private reloading: Promise<TlsReloadResult> | undefined;

  /** Reads the certificate files now: throws SipTransportError(TlsCredentials) when they are unusable. */
  constructor(
    private readonly settings: TlsServerSettings,
    options: StreamTransportOptions & { readonly defaultClient?: TlsClientProfile },
  ) {
    const tlsSockets = new TlsSockets(settings, loadCredentialsSync(settings), options);
    super(tlsSockets, options);
    this.tlsSockets = tlsSockets;
  }

  get tlsCounters(): TlsCounters {
    return { ...this.tlsSockets.counters };
  }

  /** Serial number of the certificate new connections get. */
  get certificateSerial(): string {
    return this.tlsSockets.credentials.serial;
  }

  override async listen(host: string, port: number): Promise<number> {
    const bound = await super.listen(host, port);
    const intervalMs = this.settings.watchIntervalMs ?? CERT_WATCH_INTERVAL_MS;
    if (intervalMs > 0) {
      const { certFile, keyFile, caFile } = this.settings;
      this.watcher = watchCertificateFiles(caFile === undefined ? [certFile, keyFile] : [certFile, keyFile, caFile], intervalMs, () => void this.reload());
    }
    return bound;
  }

  /** How to connect to `target` from now on (a trunk's `tls:`); replaces what was set for that address and port. */
  setPeer(target: Pick<RemoteInfo, 'address' | 'port'>, profile: TlsClientProfile): void {
    this.tlsSockets.peers.set(peerKey(target), profile);
  }

  /** Reads the certificate files again; new connections get them. Never rejects: a failure keeps the running ones. */
  reload(): Promise<TlsReloadResult> {
    this.reloading ??= this.tlsSockets.reload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  override async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    await super.close();
  }
}

class TlsSockets implements StreamSockets {
  readonly transport = 'tls';
  readonly counters: TlsCounters = { tlsHandshakeFailures: 0, tlsConnectFailures: 0 };
  readonly peers = new Map<string, TlsClientProfile>();
  private readonly server: tls.Server;
  private readonly pending = new Map<string, (stream: net.Socket) => void>();
  private readonly minVersion: tls.SecureVersion;
  private readonly defaultClient: TlsClientProfile;

  constructor(
    private readonly settings: TlsServerSettings,
    public credentials: TlsCredentials,
    private readonly options: StreamTransportOptions & { readonly defaultClient?: TlsClientProfile },
  ) {
    this.minVersion = TLS_MIN_VERSIONS[settings.minVersion];
    this.defaultClient = options.defaultClient ?? { verify: true };
    this.server = tls.createServer({
      ...this.contextOptions(credentials),
      requestCert: settings.requireClientCert,
      rejectUnauthorized: settings.requireClientCert,
      handshakeTimeout: options.limits.incompleteMessageTimeoutMs,
    });
    this.server.on('secureConnection', (stream: tls.TLSSocket) => {
      const key = socketKey(stream);
      const ready = this.pending.get(key);
      this.pending.delete(key);
      if (ready === undefined) stream.destroy();
      else ready(stream);
    });
    this.server.on('tlsClientError', (err: Error & { code?: string }, stream: tls.TLSSocket) => {
      this.counters.tlsHandshakeFailures++;
      const remote = stream.remoteAddress === undefined ? undefined : `${normalizeAddress(stream.remoteAddress)}:${stream.remotePort ?? 0}`;
      this.options.logger.info({ remote, code: err.code, authorizationError: stream.authorizationError, reason: err.message }, 'TLS handshake failed');
    });
  }

  secure(raw: net.Socket, ready: (stream: net.Socket) => void): void {
    const key = socketKey(raw);
    this.pending.set(key, ready);
    raw.once('close', () => this.pending.delete(key));
    this.server.emit('connection', raw); // the handshake, as if the tls.Server had accepted it
  }

  open(target: RemoteInfo): { socket: net.Socket; readyEvent: 'secureConnect' } {
    const profile = this.peers.get(peerKey(target)) ?? this.defaultClient;
    const name = profile.serverName;
    const socket = tls.connect({
      host: target.address,
      port: target.port,
      // SNI is a host name, never an address; without a name the address is what the certificate must carry.
      ...(name !== undefined && isIP(name) === 0 ? { servername: name } : {}),
      ...(name !== undefined ? { checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(name, cert) } : {}),
      ...(profile.ca === undefined ? {} : { ca: profile.ca }),
      ...(profile.cert === undefined || profile.key === undefined ? {} : { cert: profile.cert, key: profile.key }),
      rejectUnauthorized: profile.verify,
      minVersion: this.minVersion,
    });
    return { socket, readyEvent: 'secureConnect' };
  }

  openFailed(err: unknown, target: RemoteInfo, tcpConnected: boolean): SipTransportError {
    const where = `${target.address}:${target.port}`;
    if (!tcpConnected) return new SipTransportError(`TLS connect to ${where}`, SipTransportErrorCode.SendFailed, err);
    this.counters.tlsConnectFailures++;
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
    const reason = err instanceof Error ? err.message : String(err);
    const profile = this.peers.get(peerKey(target)) ?? this.defaultClient;
    this.options.logger.error(
      { target: where, serverName: profile.serverName, code, reason, errorCode: SipTransportErrorCode.TlsFailed },
      `TLS connection to ${where} failed: ${reason} (nothing is sent without TLS)`,
    );
    return new SipTransportError(`TLS handshake with ${where}: ${reason}`, SipTransportErrorCode.TlsFailed, err);
  }

  async reload(): Promise<TlsReloadResult> {
    const { logger } = this.options;
    let next: TlsCredentials;
    try {
      next = await loadCredentials(this.settings);
      this.server.setSecureContext(this.contextOptions(next));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      logger.error({ err, serial: this.credentials.serial, errorCode: SipTransportErrorCode.TlsCredentials }, `TLS certificate reload failed: the running certificate stays (${error})`);
      return { ok: false, error };
    }
    const changed = next.serial !== this.credentials.serial;
    this.credentials = next;
    logger.info({ serial: next.serial, validTo: next.validTo, changed }, changed ? 'TLS certificate reloaded: new connections get it' : 'TLS certificate files read again: same certificate');
    return { ok: true, serial: next.serial };
  }

  private contextOptions(c: TlsCredentials): tls.SecureContextOptions {
    return { cert: c.cert, key: c.key, minVersion: this.minVersion, ...(c.ca === undefined ? {} : { ca: c.ca }) };
  }
}

function peerKey(target: Pick<RemoteInfo, 'address' | 'port'>): string {
  return `${normalizeAddress(target.address)}|${target.port}`;
}

/** The accepted TCP socket and the TLS socket over it share the peer's address and port. */
function socketKey(socket: net.Socket): string {
  return `${normalizeAddress(socket.remoteAddress ?? '')}|${socket.remotePort ?? 0}`;
}
