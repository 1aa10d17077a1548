import { readFileSync } from "node:fs";
import pg from "pg";
import { createPool } from "../src/db/client.js";
import { runMigrations } from "../src/db/migrate.js";

/** The benchmarks' databases: made fresh on BENCH_DATABASE_URL's server (else DATABASE_URL's, else the local one). */
export const SERVER_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export const databaseUrl = (name: string) => Object.assign(new URL(SERVER_URL), { pathname: `/${name}` }).toString();

export async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops and recreates database `name` with our migrations; the caller fills it and ends the pool. */
export async function createMigratedDatabase(name: string): Promise<pg.Pool> {
  await onServer(SERVER_URL, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  const pool = createPool(databaseUrl(name), 2);
  await runMigrations(pool);
  return pool;
}

export function dropDatabase(name: string): Promise<unknown> {
  return onServer(SERVER_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/**
 * CPU time (ms) the server's backends connected to the database of `client`'s connection have used
 * so far, from /proc: meaningful only when PostgreSQL runs on this machine (else NaN). Backends that
 * have disconnected are not counted.
 */
export async function databaseCpuMs(client: pg.Pool | pg.Client): Promise<number> {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(SERVER_URL).hostname)) return NaN;
  const { rows } = await client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return NaN; // not on this machine, or not ours to read
    }
  }
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}
