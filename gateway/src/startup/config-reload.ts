/**
 * SIGHUP: the certificate files again (http.tls, agents.tls: same paths, new contents), and patchbay.yaml again. A valid file's `numbers:` and `log.level` take effect at once (the next call routes
 * by the new numbers; live calls keep their plans); every other changed key is listed as needing a restart and
 * keeps its running value. An invalid file changes nothing: every problem is logged, one line each with its path.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';

/** What a reload changes in a running gateway. Everything else needs a restart. */
export const RELOADABLE_KEYS = ['numbers', 'log.level'] as const;

export interface ReloadTarget {
  /** The running number book takes the new `numbers:`; returns its problems (then nothing changed). */
  reloadNumbers(numbers: Config['numbers']): Promise<string[]>;
  setLogLevel(level: Config['log']['level']): void;
  /** The certificate files (http.tls, agents.tls) read again, whatever the file says (a renewal changes no key). */
  reloadCertificates?(): Promise<boolean>;
  /** Reads the TLS certificate and key again (docs/tls.md): on every SIGHUP, whatever the file says; it logs its own outcome. */
  reloadTls?(): Promise<unknown>;
}

export type ReloadResult =
  | { readonly ok: true; readonly config: Config; readonly applied: string[]; readonly needRestart: string[] }
  | { readonly ok: false; readonly config: Config; readonly problems: string[] };

/** Loads and applies; never throws for a bad file. Returns the configuration now running. */
export async function reloadConfig(o: { load: () => Config; running: Config; target: ReloadTarget; logger: Logger }): Promise<ReloadResult> {
  const { running, logger } = o;
  await o.target.reloadCertificates?.(); // logs its own outcome; a bad certificate keeps the running one
  await o.target.reloadTls?.(); // the certificate files are not the configuration: reloaded even if the file is refused
  let next: Config;
  try {
    next = o.load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return refused(err.issues, running, logger);
  }
  const numbersChanged = !isDeepStrictEqual(running.numbers, next.numbers);
  if (numbersChanged) {
    const problems = await o.target.reloadNumbers(next.numbers);
    if (problems.length > 0) return refused(problems, running, logger);
  }
  const applied: string[] = numbersChanged ? ['numbers'] : [];
  if (running.log.level !== next.log.level) {
    o.target.setLogLevel(next.log.level);
    applied.push('log.level');
  }
  const needRestart = changedKeys(running, next).filter((k) => k !== 'numbers' && k !== 'log.level');
  const config: Config = { ...running, numbers: next.numbers, log: { ...running.log, level: next.log.level } };
  logger.info({ applied, needRestart }, `configuration reloaded${applied.length === 0 ? ': nothing to apply' : `: ${applied.join(', ')}`}`);
  if (needRestart.length > 0) logger.warn({ keys: needRestart }, `changed keys that take effect only after a restart: ${needRestart.join(', ')}`);
  return { ok: true, config, applied, needRestart };
}

function refused(problems: string[], running: Config, logger: Logger): ReloadResult {
  logger.error({ problems: problems.length }, 'configuration reload refused: the running configuration stays');
  for (const p of problems) logger.error({ problem: p }, `invalid configuration: ${p}`);
  return { ok: false, config: running, problems };
}

/** Changed keys, two levels deep (`sip.port`, `media`, `numbers`). */
export function changedKeys(a: Config, b: Config): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Config>;
  for (const k of keys) {
    const x: unknown = a[k];
    const y: unknown = b[k];
    if (isDeepStrictEqual(x, y)) continue;
    if (k === 'numbers' || !isPlain(x) || !isPlain(y)) {
      out.push(k);
      continue;
    }
    for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) if (!isDeepStrictEqual(x[sub], y[sub])) out.push(`${k}.${sub}`);
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
