/**
 * SIP over TLS settings (docs/tls.md): `sip.tls` (our TLS listener) and a trunk's `tls:` (how we connect to it).
 * Only paths here: the files are read when the gateway starts (a missing or unusable file stops the start, naming
 * it) and `sip.tls`'s certificate and key again on change or SIGHUP. A relative path is read from the
 * configuration file's folder.
 */
import { z } from 'zod';

const file = z.string().trim().min(1);

/** TLS versions we accept at least (TLS 1.0 and 1.1 never). */
export const TLS_VERSIONS = ['1.2', '1.3'] as const;

/** `sip.tls`: listen for SIP over TLS on `port` with this certificate. Absent: no TLS listener. */
export const sipTlsSchema = z
  .strictObject({
    port: z.int().min(0).max(65535).default(5061),
    /** PEM certificate (chain) and private key presented to clients; reloaded on change and on SIGHUP. */
    certFile: file,
    keyFile: file,
    /**
     * PEM CAs that client certificates must chain to (with `requireClientCert`); also trusted, next to the
     * system's CAs, for TLS connections we open to peers no trunk's `tls:` describes.
     */
    caFile: file.optional(),
    minVersion: z.enum(TLS_VERSIONS).default('1.2'),
    /** Mutual TLS: every client must present a certificate that chains to `caFile` (or a system CA). */
    requireClientCert: z.boolean().default(false),
  })
  .optional();

export type SipTlsConfig = NonNullable<z.output<typeof sipTlsSchema>>;

const host = z.string().trim().regex(/^[A-Za-z0-9_.-]+$/, 'must be a host name');

/** A trunk's `tls:`: how its proxy and registrar are connected to when their transport is `tls`. */
export const trunkTlsSchema = z
  .strictObject({
    /** SNI and the name the trunk's certificate must carry; default the proxy's (or registrar's) host. */
    serverName: host.optional(),
    /** PEM CAs the trunk's certificate must chain to; default the system's CAs. */
    caFile: file.optional(),
    /** Our client certificate and key, for trunks that ask for one (mutual TLS). */
    certFile: file.optional(),
    keyFile: file.optional(),
    /** Verify the trunk's certificate (chain, validity, name). `false` is for lab setups only and is logged at start. */
    verify: z.boolean().default(true),
  })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { path: ['keyFile'], message: 'certFile and keyFile go together' })
  .optional();

export type TrunkTlsConfig = NonNullable<z.output<typeof trunkTlsSchema>>;
