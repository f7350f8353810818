/** `npm start`: load the configuration once, start the gateway, stop cleanly on SIGINT/SIGTERM. */
import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ cwd: process.cwd(), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`patchbay: invalid configuration\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level });
  let gateway;
  try {
    gateway = await startGateway(config, { logger, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // An adapter refused its options or found a secret missing: the same report as any other configuration error.
    process.stderr.write(`patchbay: invalid configuration\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`);
    process.exit(2);
  }
  process.stdout.write(
    `Patchbay is listening: SIP on udp/tcp ${config.sip.host}:${gateway.sipPort}, HTTP on http://${config.http.host}:${gateway.httpPort}/healthz\n` +
      `Call sip:anything@127.0.0.1:${gateway.sipPort} to reach the demo agent.\n`,
  );
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`patchbay: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
