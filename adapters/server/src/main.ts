/** The adapter server's entry point: wires `runCli` to this process. The only module that reads `process.env`. */
import { runCli } from './cli.js';

runCli(process.argv.slice(2), {
  env: process.env,
  // `npm run -w` runs in the workspace's directory; INIT_CWD is where the user typed the command.
  cwd: process.env['INIT_CWD'] ?? process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  exit: (code) => process.exit(code),
  onSignal: (signal, handler) => process.once(signal, handler),
}).catch((err: unknown) => {
  process.stderr.write(`patchbay-adapters: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
