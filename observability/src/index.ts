/** @patchbay/observability: telemetry wired in one place (filled in by the observability work). */
export * from './names.js';
