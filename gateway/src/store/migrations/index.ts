/** Every migration, in order, by name: compiled in (no directory read at run time, so the built gateway carries them). */
import type { Migration, MigrationProvider } from 'kysely/migration';
import * as init from './0001-init.js';
import * as callsIdByteOrder from './0002-calls-id-byte-order.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-init': init,
  '0002-calls-id-byte-order': callsIdByteOrder,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };
