// Node 22 prints "ExperimentalWarning: SQLite is an experimental feature and might change at any time" when
// node:sqlite loads (Node 24 no longer does). The gateway uses it on purpose; the warning would only scare users.
// This drops that one warning, and nothing else, from `proc.emitWarning`. Plain JavaScript: the SQLite worker's
// bootstrap installs it before anything (tsx included) loads.

/** @param {{ emitWarning: (...args: unknown[]) => void }} proc */
export function dropSqliteExperimentalWarning(proc) {
  const emitWarning = proc.emitWarning.bind(proc);
  proc.emitWarning = (warning, ...rest) => {
    const message = typeof warning === 'string' ? warning : warning instanceof Error ? warning.message : undefined;
    const opt = rest[0];
    const type = typeof opt === 'string' ? opt : typeof opt === 'object' && opt !== null && 'type' in opt ? opt.type : warning instanceof Error ? warning.name : undefined;
    if (type === 'ExperimentalWarning' && typeof message === 'string' && message.startsWith('SQLite is an experimental feature')) return;
    emitWarning(warning, ...rest);
  };
}
