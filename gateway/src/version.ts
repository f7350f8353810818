import { readFileSync } from 'node:fs';

interface PackageJson { version?: unknown }

function readVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (raw as PackageJson).version;
  return typeof version === 'string' ? version : '0.0.0';
}

/** The gateway's version, from its package.json. */
export const VERSION = readVersion();
