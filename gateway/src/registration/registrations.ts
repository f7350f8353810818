/**
 * Every trunk's registration, started after the SIP stack listens and stopped (un-REGISTER) before it closes.
 * `list()` is what the API (`GET /v1/trunks`) and `/metrics` read.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { BackoffOptions } from './schedule.js';
import type { TlsPeerSetup } from '../tls/index.js';
import { TrunkRegistration, UNREGISTER_WAIT_MS, type RegistrationHost, type RegistrationStatus } from './trunk-registration.js';

export interface RegistrationsOptions {
  readonly config: Config;
  readonly host: RegistrationHost;
  readonly logger: Logger;
  /** Overrides for tests: resolver, backoff, jitter source, wall clock. */
  readonly resolve?: (host: string) => Promise<string>;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly onChange?: (status: RegistrationStatus) => void;
  /** How `tls` registrars are connected to (trunks' `tls:`). */
  readonly tlsPeers?: TlsPeerSetup;
}

export class Registrations {
  readonly #trunks: readonly TrunkRegistration[];

  constructor(options: RegistrationsOptions) {
    const { config } = options;
    const list: TrunkRegistration[] = [];
    for (const trunk of config.trunks) {
      if (trunk.register === undefined) continue;
      list.push(
        new TrunkRegistration({
          trunk: trunk.name,
          config: trunk.register,
          host: options.host,
          publicAddress: config.sip.publicAddress,
          userAgent: config.sip.userAgent,
          logger: options.logger,
          ...(options.resolve ? { resolve: options.resolve } : {}),
          ...(options.backoff ? { backoff: options.backoff } : {}),
          ...(options.random ? { random: options.random } : {}),
          ...(options.now ? { now: options.now } : {}),
          ...(options.onChange ? { onChange: options.onChange } : {}),
          ...(options.tlsPeers ? { tlsPeers: options.tlsPeers } : {}),
        }),
      );
    }
    this.#trunks = list;
  }

  /** Whether any trunk registers. */
  get size(): number {
    return this.#trunks.length;
  }

  start(): void {
    for (const t of this.#trunks) t.start();
  }

  /** Each registering trunk's state, in config order. */
  list(): RegistrationStatus[] {
    return this.#trunks.map((t) => t.status());
  }

  get(trunk: string): RegistrationStatus | undefined {
    return this.#trunks.find((t) => t.trunk === trunk)?.status();
  }

  /** Un-REGISTERs every trunk at once, waiting at most `waitMs`. Never rejects; idempotent. */
  async stop(waitMs = UNREGISTER_WAIT_MS): Promise<void> {
    await Promise.all(this.#trunks.map((t) => t.stop(waitMs)));
  }
}
