import "reflect-metadata";
import { createJwtService, loadConfigOrExit, openMigratedDatabase } from "./bootstrap.js";
import { createLogger } from "./lib/logger.js";
import { JOBS_DRAIN_MS, stopOnSignals } from "./lib/shutdown.js";
import { createServices } from "./services.js";

/**
 * A worker without the API (`npm run worker`): it takes calculation jobs from the database, so a
 * site can run several next to API replicas started with JOBS_ENABLED=false.
 */
const config = loadConfigOrExit();
const log = createLogger(config.logLevel);
const database = await openMigratedDatabase(config);
createJwtService(config); // fails early on a bad JWT setting, like the API would
const services = createServices(database.db, config, { log, embedded: database.embedded });
await services.jobs.start();
log.info("worker started: taking calculation jobs");

stopOnSignals(log, async () => {
  await services.jobs.stop(JOBS_DRAIN_MS);
  await services.close();
  await database.close();
});
