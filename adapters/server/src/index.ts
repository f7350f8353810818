/** @patchbay/adapter-server: the adapter registry, and a server that serves configured adapters over protocol v1. */
export { ADAPTER_NAMES, AdapterOptionsError, buildAdapterAgent, loadAdapter } from './registry.js';
export type { AdapterIssue, AdapterLoader, AdapterSpec } from './registry.js';
export { startAdapterServer } from './adapter-server.js';
export type { AdapterServer, AdapterServerOptions } from './adapter-server.js';
export { DEFAULT_PORT, loadAdapterServerConfig, parseAdapterServerConfig } from './config.js';
export type { AdapterServerConfig } from './config.js';
export { AdapterServerConfigError } from './errors.js';
