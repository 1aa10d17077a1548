import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createPool } from "../../src/db/client.js";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";
import { runMigrations } from "../../src/db/migrate.js";

export interface PrivateDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A migrated database of the test file's own, for tests that need nobody else writing while they
 * run (the shared one takes writes from every file running in parallel): a new database on the
 * run's server, or a second embedded PostgreSQL in memory.
 */
export async function createPrivateDatabase(): Promise<PrivateDatabase> {
  if (inject("databaseKind") === "embedded") {
    const embedded = await startEmbeddedPostgres("memory://");
    await migrateDatabase(embedded.url);
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const name = `kpi_test_private_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const url = Object.assign(new URL(inject("databaseUrl")), { pathname: `/${name}` }).toString();
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  await migrateDatabase(url);
  // Without FORCE: terminating a connection a stopped server's pool still holds would surface as an
  // uncaught error in the test process; a database still in use is left for the run's end.
  return { url, drop: () => onServer((client) => client.query(`DROP DATABASE IF EXISTS ${name}`)).catch(() => undefined) };
}

async function onServer(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

export async function migrateDatabase(url: string): Promise<void> {
  const pool = createPool(url, 2);
  try {
    await runMigrations(pool);
  } finally {
    await pool.end();
  }
}
