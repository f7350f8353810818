/**
 * The directory the user ran the command in. `npm start` runs the gateway inside `gateway/` (a workspace script), so
 * `process.cwd()` is not where the user's `patchbay.yaml` is; npm sets `INIT_CWD` for its scripts to the directory
 * `npm` was started in. Run directly (`node`, `tsx`, a container), there is no `INIT_CWD` and the working directory is
 * the answer. Pure: main.ts hands it `process.env` and `process.cwd()`.
 */
import { isAbsolute } from 'node:path';

export function invocationDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const init = env['INIT_CWD'];
  return init !== undefined && init !== '' && isAbsolute(init) ? init : cwd;
}
