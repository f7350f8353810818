/**
 * The HTTP listeners (`http:`) and the TLS material agents are dialled with (`agents.tls`). docs/http.md.
 *
 * - `http.host`/`http.port`: the main listener (health, the API, and `/metrics` + `/stats` behind the API's access).
 * - `http.admin`: where `/metrics` and `/stats` are served without a key; default loopback port 9464. `'api'` or
 *   `null`: no admin listener (then they are on the main listener only, behind the API's access).
 * - `http.tls`: HTTPS on the main listener from a certificate and key file (reloaded on SIGHUP and on change).
 */
import { z } from 'zod';

/**
 * 9464: the port Prometheus' default port allocations give the OpenTelemetry Prometheus exporter, the port
 * scrapers and firewall rules already expect for "this process's metrics" (the gateway's metrics come from
 * prom-client, not that exporter, so the two never both run here).
 */
export const DEFAULT_ADMIN_PORT = 9464;
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

const port = z.int().min(0).max(65535);
const nonEmpty = z.string().trim().min(1);
const file = z.string().trim().min(1, 'must be a file path');

const adminListener = z.strictObject({ host: nonEmpty.default(DEFAULT_ADMIN_HOST), port: port.default(DEFAULT_ADMIN_PORT) });
export type AdminListenerConfig = z.output<typeof adminListener>;

const httpTls = z.strictObject({
  /** PEM certificate (chain) file. */
  certFile: file,
  /** PEM private key file. */
  keyFile: file,
  minVersion: z.enum(TLS_VERSIONS).default('TLSv1.2'),
});
export type HttpTlsConfig = z.output<typeof httpTls>;

export function httpSchema() {
  return z
    .strictObject({
      host: nonEmpty.default('0.0.0.0'),
      port: port.default(8080),
      /** `/metrics` and `/stats` without a key; `'api'`/null: none (served on the main listener, behind the API's access). */
      admin: z
        .union([z.literal('api'), z.null(), adminListener])
        .default({ host: DEFAULT_ADMIN_HOST, port: DEFAULT_ADMIN_PORT })
        .transform((a): AdminListenerConfig | null => (a === 'api' ? null : a)),
      /** HTTPS on the main listener; null: plain HTTP. */
      tls: httpTls.nullable().default(null),
    })
    .prefault({});
}

export type HttpConfig = z.output<ReturnType<typeof httpSchema>>;

/**
 * How the gateway dials `wss://` agents: the system's CAs plus `caFile` (its certificates are trusted in addition to
 * Node's bundled ones), and a client certificate for agents that ask for one (mTLS). Verification is always on.
 */
export const agentTlsSchema = z
  .strictObject({
    caFile: file.optional(),
    certFile: file.optional(),
    keyFile: file.optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.certFile === undefined) !== (t.keyFile === undefined)) ctx.addIssue({ code: 'custom', message: 'certFile and keyFile go together (a client certificate needs its key)', path: [t.certFile === undefined ? 'certFile' : 'keyFile'] });
  })
  .prefault({});
export type AgentTlsConfig = z.output<typeof agentTlsSchema>;
