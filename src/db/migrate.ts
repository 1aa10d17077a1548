import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { createDb } from "./client.js";
import { ensureMeasurementPartitions, partitionWindow } from "./partitions.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

const MIGRATION_LOCK_KEY = 727_000;

/**
 * Applies pending migrations (a no-op when none are pending) and creates the measurement partitions
 * around today. Several processes may start at once: a session-level advisory lock lets one migrate
 * while the others wait.
 */
export async function runMigrations(pool: pg.Pool, today = new Date()): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    const window = partitionWindow(today, 24, 3);
    await ensureMeasurementPartitions(createDb(pool), window.from, window.to);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
