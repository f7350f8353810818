/**
 * Pure pieces an outbound call through a trunk is built from: where it may go (the trunk's destination policy,
 * the same `DestinationPolicy` an agent's transfer is checked against) and how the dialled number is written.
 */
import type { Config } from '../config.js';
import type { NumberFormat } from '../config-trunks.js';
import { DestinationPolicy } from '../routing/index.js';

export type OutboundTrunkConfig = NonNullable<Config['trunks'][number]['outbound']>;

/** The trunk's destination policy: nothing allowed unless listed (deny wins); national numbers in its country. */
export function trunkDestinations(outbound: OutboundTrunkConfig, defaultCountryCode: string | null): DestinationPolicy {
  return new DestinationPolicy({ allow: outbound.allow, deny: outbound.deny, defaultCountryCode: outbound.countryCode ?? defaultCountryCode });
}

export interface NumberFormatOptions {
  readonly format: NumberFormat;
  /** Needed for `national`; without it `national` writes E.164. */
  readonly countryCode?: string | null;
  /** Default: none for country code 1, else `0`. */
  readonly nationalPrefix?: string;
}

/**
 * An E.164 number (`+442079460000`, as DestinationPolicy returns it) written the trunk's way: `+442079460000`,
 * `442079460000`, or national (`02079460000`) when it is in the trunk's country (other countries stay `+…`).
 */
export function formatDialledNumber(e164: string, options: NumberFormatOptions): string {
  switch (options.format) {
    case 'e164':
      return e164;
    case 'e164-no-plus':
      return e164.replace(/^\+/, '');
    case 'national': {
      const cc = options.countryCode;
      if (!cc || !e164.startsWith(`+${cc}`)) return e164;
      const prefix = options.nationalPrefix ?? (cc === '1' ? '' : '0');
      return `${prefix}${e164.slice(cc.length + 1)}`;
    }
  }
}
