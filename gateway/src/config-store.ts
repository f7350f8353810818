/**
 * The `database:` section of the configuration (gateway/src/store/, docs/store.md): where call records, webhook
 * deliveries and runtime numbers live. Default: SQLite in `<dataDir>/patchbay.db`, nothing to set up. With `url`
 * (or `urlEnv`, so the password stays out of the file): PostgreSQL, which several gateways may share.
 */
import { z } from 'zod';
import { ENV_NAME, type Env } from './config-secret.js';

export function databaseSchema(env: Env) {
  return z
    .strictObject({
      /**
       * `false`: no store at all. No records are written, no webhooks are sent (configuring any is an error), the
       * history API lists live calls only (stored reads answer 503 STORE_UNAVAILABLE) and the numbers API cannot
       * add numbers (503 NUMBERS_UNAVAILABLE). For gateways that keep nothing, and the bench's records-off baseline.
       */
      enabled: z.boolean().default(true),
      /**
       * The local folder: the SQLite file (`patchbay.db`) and the write queue's spill file (`spill/`, with either
       * engine). Relative paths are read from the configuration file's folder (or the working directory).
       */
      dataDir: z.string().trim().min(1).default('./data'),
      /** A PostgreSQL URL (`postgres://user:pass@host:5432/db`); set it or `urlEnv`, not both. Unset: SQLite. */
      url: z.string().regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// or postgresql:// URL').optional(),
      /** The environment variable holding the PostgreSQL URL. */
      urlEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
      /** PostgreSQL connections this gateway keeps at most. */
      poolSize: z.int().min(1).max(100).default(10),
      /** Names this gateway in the rows it writes (several may share one PostgreSQL); default the host name. */
      gatewayId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . : or -').optional(),
      /** Days that call records and finished webhook deliveries are kept (purged daily); 0 = forever. */
      retentionDays: z.int().min(0).max(36_500).default(90),
      queue: z
        .strictObject({
          /** Writes held in memory while the database is slow or down; beyond it they go to the spill file. */
          maxOps: z.int().min(1).max(10_000_000).default(10_000),
          /** The spill file's bound; beyond both bounds writes are dropped, counted and logged. Default 256 MiB. */
          maxSpillBytes: z.int().min(0).default(256 * 1024 * 1024),
          /** Writes applied per transaction. */
          batchOps: z.int().min(1).max(10_000).default(500),
        })
        .prefault({}),
    })
    .transform((d, ctx) => {
      if (d.url !== undefined && d.urlEnv !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'set either url or urlEnv, not both' });
        return z.NEVER;
      }
      let url = d.url;
      if (d.urlEnv !== undefined) {
        url = env[d.urlEnv];
        if (url === undefined || url === '') {
          ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: `environment variable ${d.urlEnv} is not set` });
          return z.NEVER;
        }
        if (!/^postgres(ql)?:\/\//i.test(url)) {
          ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: `${d.urlEnv} must hold a postgres:// or postgresql:// URL` });
          return z.NEVER;
        }
      }
      const { urlEnv: _urlEnv, url: _url, ...rest } = d;
      return { ...rest, url };
    })
    .prefault({});
}

export type DatabaseConfig = z.output<ReturnType<typeof databaseSchema>>;

/**
 * `database.enabled: false` with webhooks configured (global endpoints or a number's `webhooks:`): webhooks are
 * delivered from the store's outbox, so they cannot be sent without it (config.ts's superRefine).
 */
export function databaseOffIssues(config: unknown): { path: (string | number)[]; message: string }[] {
  if (!isRecord(config) || !isRecord(config['database']) || config['database']['enabled'] !== false) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  const webhooks = config['webhooks'];
  if (isRecord(webhooks) && Array.isArray(webhooks['endpoints']) && webhooks['endpoints'].length > 0) {
    issues.push({ path: ['webhooks', 'endpoints'], message: 'webhooks need the database: database.enabled is false' });
  }
  const numbers = config['numbers'];
  if (isRecord(numbers)) {
    for (const [pattern, route] of Object.entries(numbers)) {
      if (isRecord(route) && Array.isArray(route['webhooks']) && route['webhooks'].length > 0) {
        issues.push({ path: ['numbers', pattern, 'webhooks'], message: 'webhooks need the database: database.enabled is false' });
      }
    }
  }
  return issues;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
