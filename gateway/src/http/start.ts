/**
 * Opens the HTTP listeners the configuration asks for (docs/http.md): the main one (HTTP, or HTTPS with
 * `http.tls`) and the admin one (`http.admin`, plain HTTP, loopback by default). The HTTPS certificate is read at
 * start (unreadable or mismatched files stop the start as a configuration error) and again on SIGHUP
 * (`reloadCertificate`) and when its files change (polled): a new pair that cannot be used is logged and the
 * running certificate stays.
 */
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { isLoopback } from '../api/auth.js';
import type { HttpConfig } from '../config-http.js';
import { createAdminServer, createHttpServer, type HealthSource, type HttpServerOptions } from './server.js';
import { CERT_WATCH_INTERVAL_MS, watchCertificateFiles } from '../sip/transport/tls-credentials.js';
import { describeCertificate, loadServerTls, type ServerTlsMaterial } from './tls-files.js';

/** The admin listener could not open (its port is `http.admin.port`, not `http.port`: startup/listen-failure.ts). */
export class AdminListenError extends Error {
  override readonly name = 'AdminListenError';
  readonly code = 'HTTP_ADMIN_LISTEN';
}

export interface StartHttpOptions {
  readonly config: HttpConfig;
  readonly source: HealthSource;
  /** The main listener's API, access, body limit (everything but HTTPS, which comes from `config.tls`). */
  readonly server: Omit<HttpServerOptions, 'https' | 'logger'>;
  /** Where relative certificate paths are read from (the configuration file's folder). */
  readonly baseDir: string;
  readonly logger: Logger;
  /** How often the certificate files are checked for change, ms; 0: never (SIGHUP only). */
  readonly watchIntervalMs?: number;
}

export interface HttpListeners {
  readonly scheme: 'http' | 'https';
  readonly port: number;
  /** The admin listener's address; undefined with `http.admin: api` (or null). */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  /** Reads `http.tls`'s files again (SIGHUP); false when they cannot be used (the running certificate stays). No TLS: true. */
  reloadCertificate(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startHttp(o: StartHttpOptions): Promise<HttpListeners> {
  const { config, logger } = o;
  const tls = config.tls;
  let material: ServerTlsMaterial | undefined = tls === null ? undefined : loadServerTls(tls, o.baseDir); // throws ConfigError
  let secure: HttpsServer | undefined;
  const main = createHttpServer(o.source, {
    ...o.server,
    logger,
    ...(material === undefined ? {} : { https: { options: material.options, onServer: (s) => void (secure = s) } }),
  });
  await main.listen({ host: config.host, port: config.port });
  const port = portOf(main, config.port);
  let admin: FastifyInstance | undefined;
  let adminAddress: { host: string; port: number } | undefined;
  if (config.admin !== null) {
    admin = createAdminServer(o.source, { ...(o.server.access === undefined ? {} : { access: o.server.access }), logger });
    try {
      await admin.listen({ host: config.admin.host, port: config.admin.port });
    } catch (err) {
      await main.close();
      throw new AdminListenError(`the admin listener (http.admin) cannot open ${config.admin.host}:${config.admin.port}`, { cause: err });
    }
    adminAddress = { host: config.admin.host, port: portOf(admin, config.admin.port) };
  }
  for (const w of exposureWarnings(config, o.server.access?.keyed === true)) logger.warn({ setting: w.setting }, w.message);

  let reloading: Promise<boolean> = Promise.resolve(true);
  const reload = (why: 'sighup' | 'file-change'): Promise<boolean> => {
    if (tls === null) return Promise.resolve(true);
    reloading = reloading.then(() => {
      try {
        const next = loadServerTls(tls, o.baseDir);
        if (secure === undefined) throw new Error('the HTTPS server is not running');
        secure.setSecureContext(next.options);
        const was = material?.serial;
        material = next;
        logger.info({ why, certificate: describeCertificate(next), previousSerial: was }, 'HTTPS certificate reloaded');
        return true;
      } catch (err) {
        logger.error({ why, err: { message: err instanceof Error ? err.message : String(err) } }, 'HTTPS certificate reload failed: the running certificate stays');
        return false;
      }
    });
    return reloading;
  };

  // A renewal (certbot, cert-manager) replaces the files: the same watch as SIP over TLS (stat polled, symlinks followed).
  const watchMs = o.watchIntervalMs ?? CERT_WATCH_INTERVAL_MS;
  const watcher = tls === null || watchMs <= 0 || material === undefined ? undefined : watchCertificateFiles([material.certPath, material.keyPath], watchMs, () => void reload('file-change'));
  if (material !== undefined) logger.info({ certificate: describeCertificate(material) }, 'HTTPS on the main listener');

  let closing: Promise<void> | undefined;
  return {
    scheme: material === undefined ? 'http' : 'https',
    port,
    admin: adminAddress,
    reloadCertificate: () => reload('sighup'),
    close: () =>
      (closing ??= (async () => {
        watcher?.close();
        await Promise.all([main.close(), admin?.close()]);
      })()),
  };
}

/** What the listeners expose beyond this host without protection: one warning each, for the start-up log. */
export function exposureWarnings(config: HttpConfig, keyed: boolean): { setting: string; message: string }[] {
  const out: { setting: string; message: string }[] = [];
  if (config.admin !== null && !isLoopbackHost(config.admin.host)) {
    out.push({
      setting: 'http.admin.host',
      message: `the admin listener (http.admin) is on ${config.admin.host}, not loopback, in plain HTTP: /metrics and /stats answer anyone who reaches it without a key; keep that port on a private network, or set http.admin: api to serve them on the main listener behind the API's access`,
    });
  }
  if (config.tls === null && keyed && !isLoopbackHost(config.host)) {
    out.push({ setting: 'http.tls', message: `the API listens on ${config.host} in plain HTTP: API keys cross the network in clear; set http.tls (docs/http.md)` });
  }
  return out;
}

function portOf(app: FastifyInstance, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}
