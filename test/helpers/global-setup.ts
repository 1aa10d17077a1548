import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";
import { migrateDatabase } from "./private-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "postgres" | "embedded";
  }
}

/**
 * One database per test run: with DATABASE_URL, a new database on that server, dropped afterwards;
 * without it, a throw-away embedded PostgreSQL in memory. Migrations run once here; test files share
 * the database and keep apart by creating their own rows (test/helpers/factories.ts).
 */
export default async function setup(project: TestProject) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres("memory://");
    await migrateDatabase(embedded.url);
    project.provide("databaseUrl", embedded.url);
    project.provide("databaseKind", "embedded");
    return () => embedded.stop();
  }

  const name = `kpi_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  project.provide("databaseUrl", url.toString());
  project.provide("databaseKind", "postgres");

  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  };
}
