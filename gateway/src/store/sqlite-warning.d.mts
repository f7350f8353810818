/** Drops Node 22's "SQLite is an experimental feature" warning, and nothing else, from `proc.emitWarning`. */
export function dropSqliteExperimentalWarning(proc: { emitWarning: (...args: never[]) => void }): void;
