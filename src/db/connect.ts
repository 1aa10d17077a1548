import type { Config } from "../config/config.js";
import { createDb, createPool, type Database } from "./client.js";
import { startEmbeddedPostgres } from "./embedded.js";

/** Connects to DATABASE_URL, or serves and connects to the embedded database under DATA_DIR. */
export async function openDatabase(config: Config): Promise<Database> {
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.database.dataDir);
  const url = config.database.url ?? embedded!.url;
  const pool = createPool(url, config.database.poolMax, { preparedStatements: !embedded });
  return {
    db: createDb(pool),
    pool,
    url,
    embedded: embedded !== undefined,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
