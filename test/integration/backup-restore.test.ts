import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { createPrivateDatabase, migrateDatabase } from "../helpers/private-database.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

/**
 * docs/operations.md's backup and restore of PostgreSQL, as written there: pg_dump --format=custom
 * of a database with the demo data, the database dropped, pg_restore --no-owner into a new one, and
 * the server on the restored database gives the same answers to the same tokens. PostgreSQL only
 * (the embedded database is backed up by copying DATA_DIR), and only where pg_dump is installed.
 */
const hasPgDump = await run("pg_dump", ["--version"]).then(
  () => true,
  () => false,
);
const embedded = inject("databaseKind") === "embedded";
if (embedded || !hasPgDump) console.warn("backup-restore test skipped: needs PostgreSQL and pg_dump");

// Everything a dashboard, an admin and the job runner read, in one query per viewer.
const EVERYTHING = `{
  me { name role }
  teams {
    name manager { name }
    averages { overallScore kpiAverages { kpiDefinition { name } memberCount averageActualValue } }
    members {
      user { id name email externalIds { provider externalId } snapshots(from: "2000-01-01", to: "2100-01-01") { snapshotDate overallScore } }
      overallScore
      kpis { targetValue weight kpiDefinition { name dataSource } history(limit: 1000) { periodStart actualValue achievementPercentage notes } }
    }
  }
  kpiDefinitions { name calculationType dataSource aggregationPeriod targetType }
  alertRules { name kind threshold }
  users(limit: 1000) { id name email role isActive }
}`;

// The whole demo database in one answer costs far more than a dashboard may ask for.
const UNLIMITED = { MAX_QUERY_COST: "1000000000" };

const temporary = mkdtempSync(join(tmpdir(), "kpi-backup-"));
const servers: TestServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  for (const cleanup of cleanups) await cleanup();
  rmSync(temporary, { recursive: true, force: true });
});

/** Runs statements on the test server's maintenance connection. */
async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const databaseName = (url: string) => new URL(url).pathname.slice(1);

async function databaseExists(url: string): Promise<boolean> {
  return onServer(async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName(url)]);
    return found.rowCount === 1;
  });
}

describe.skipIf(embedded || !hasPgDump)("backup and restore of PostgreSQL (docs/operations.md)", () => {
  it("pg_dump, drop, pg_restore into a new database: the server gives the same answers", async () => {
    const source = await createPrivateDatabase();
    cleanups.push(source.drop);
    const before = await startTestServer({ ...UNLIMITED, DATABASE_URL: source.url });
    const { adminId } = await seedDemo(before.database.db, { scoreCap: 150 });
    const token = await before.jwt.sign({ id: adminId, email: "admin@example.com" });
    const original = await before.gql(EVERYTHING, {}, token);
    expect(original.errors).toBeUndefined();
    expect(original.data!.teams.length).toBeGreaterThan(0);

    const dump = join(temporary, "kpi.dump");
    await run("pg_dump", ["--format=custom", `--file=${dump}`, source.url]);
    await before.stop();
    await source.drop();
    expect(await databaseExists(source.url)).toBe(false);

    // The restore target: an empty database (no migrations), as `createdb` makes it.
    const restoredUrl = `${source.url}_restored`;
    await onServer((client) => client.query(`CREATE DATABASE ${databaseName(restoredUrl)}`));
    cleanups.push(() =>
      onServer((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName(restoredUrl)}`)).then(
        () => undefined,
        () => undefined,
      ),
    );
    await run("pg_restore", ["--no-owner", `--dbname=${restoredUrl}`, dump]);

    // The restored database counts as migrated: applying migrations again is a no-op, not an error.
    await migrateDatabase(restoredUrl);
    const after = await startTestServer({ ...UNLIMITED, DATABASE_URL: restoredUrl });
    servers.push(after);
    const restored = await after.gql(EVERYTHING, {}, token);
    expect(restored.errors).toBeUndefined();
    expect(restored.data).toEqual(original.data);
  }, 120_000);
});
