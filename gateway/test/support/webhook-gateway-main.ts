/**
 * The gateway as a process with its store on disk, for the webhook crash test (test/e2e/webhooks-crash.test.ts):
 * `loadConfig` from PATCHBAY_CONFIG, the production store (store/'s `openStore`: SQLite file on a worker thread,
 * write queue, spill) in PATCHBAY_TEST_DATA_DIR, `startGateway`. SIGKILL leaves what the store wrote; a restart on
 * the same folder picks the outbox up.
 */
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';

const dataDir = process.env['PATCHBAY_TEST_DATA_DIR'];
if (dataDir === undefined) throw new Error('PATCHBAY_TEST_DATA_DIR is not set');
const loaded = loadConfig({ env: process.env });
const config = { ...loaded, database: { ...loaded.database, dataDir } };
const logger = createLogger({ level: config.log.level });
const gateway = await startGateway(config, { logger, env: process.env });
const stop = (): void => {
  void gateway.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
