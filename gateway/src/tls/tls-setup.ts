/**
 * SIP over TLS as the gateway runs it (docs/tls.md): `sip.tls` as the stack's listener settings, and each trunk's
 * `tls:` as the profile the stack connects to its proxy and registrar with. The trunks' files are read here, once,
 * at start: an unreadable file is a configuration error naming it, and no call waits on the disk later. The
 * listener's own files are read by the stack (and again on change or SIGHUP); here they are only checked, so a
 * bad one is reported like any other configuration problem.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import type { TrunkTlsConfig } from '../config-tls.js';
import type { RemoteInfo, TlsClientProfile, TlsServerSettings } from '../sip/stack.js';
import { loadCredentialsSync } from '../sip/transport/tls-credentials.js';

/** What the outbound side and registrations ask before they send to a trunk: "connect to this target like so". */
export interface TlsPeerSetup {
  /** For a `tls` target of `trunk` reached by `host` (its configured name): the trunk's profile for that name. */
  prepare(trunk: string, host: string, target: RemoteInfo): void;
}

export interface GatewayTls {
  /** The stack's TLS listener; undefined without `sip.tls`. */
  readonly server: TlsServerSettings | undefined;
  /** How the stack connects to TLS peers no trunk describes (`sip.tls.caFile` trusted next to the system's CAs). */
  readonly defaultClient: TlsClientProfile | undefined;
  /** Binds the trunks' profiles to the stack. */
  peers(stack: { setTlsPeer(target: Pick<RemoteInfo, 'address' | 'port'>, profile: TlsClientProfile): void }): TlsPeerSetup;
}

/** Reads and checks the TLS files of `config` (relative paths from `baseDir`); throws ConfigError listing every problem. */
export function prepareTls(config: Config, baseDir: string, logger: Logger): GatewayTls {
  const issues: string[] = [];
  const path = (p: string): string => resolve(baseDir, p);
  const read = (where: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(path(file), 'utf8');
    } catch (err) {
      issues.push(`${where}: cannot read ${path(file)}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };

  const listener = config.sip.tls;
  let server: TlsServerSettings | undefined;
  let defaultClient: TlsClientProfile | undefined;
  if (listener !== undefined) {
    server = { ...listener, certFile: path(listener.certFile), keyFile: path(listener.keyFile), ...(listener.caFile === undefined ? {} : { caFile: path(listener.caFile) }) };
    try {
      loadCredentialsSync(server);
    } catch (err) {
      issues.push(`sip.tls: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ca = read('sip.tls.caFile', listener.caFile);
    if (ca !== undefined) defaultClient = { ca: [...tls.rootCertificates, ca].join('\n'), verify: true };
  }

  const profiles = new Map<string, Omit<TlsClientProfile, 'serverName'> & { serverName?: string | undefined }>();
  config.trunks.forEach((trunk, i) => {
    const t: TrunkTlsConfig | undefined = trunk.tls;
    if (t === undefined) return;
    const at = `trunks[${i}].tls`;
    profiles.set(trunk.name, {
      serverName: t.serverName,
      ca: read(`${at}.caFile`, t.caFile),
      cert: read(`${at}.certFile`, t.certFile),
      key: read(`${at}.keyFile`, t.keyFile),
      verify: t.verify,
    });
    if (!t.verify) logger.warn({ trunk: trunk.name }, `trunk '${trunk.name}': tls.verify is false: its certificate is not checked (lab use only)`);
  });
  if (issues.length > 0) throw new ConfigError(issues, 'TLS files');

  return {
    server,
    defaultClient,
    peers: (stack) => ({
      prepare: (trunk, host, target) => {
        if (target.transport !== 'tls') return;
        const profile = profiles.get(trunk) ?? { verify: true };
        // SNI and the certificate's name: the trunk's serverName, else the host it is configured by (a name; an
        // address is checked as the address).
        const name = profile.serverName ?? (isIP(host.replace(/^\[|\]$/g, '')) === 0 ? host : undefined);
        stack.setTlsPeer(target, { ...profile, serverName: name });
      },
    }),
  };
}
