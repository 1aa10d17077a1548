import { PGlite } from "@electric-sql/pglite";
import { createPool } from "./client.js";
import { restoreImage } from "./embedded-image.js";
import { embeddedUrl, serveWireProtocol } from "./embedded-wire.js";
import { runMigrations } from "./migrate.js";

/**
 * PGlite's start parameters with fsync back on and the WAL written with O_DSYNC (which reaches Node's
 * filesystem as O_SYNC): a commit is acknowledged once its WAL is on the disk, not only in the OS's
 * cache. PGlite turns fsync off (-F), and its fsync and fdatasync are no-ops on Node's filesystem,
 * so wal_sync_method=open_datasync is the one setting that syncs (bench/embedded-durability.ts
 * measures what it costs). relaxedDurability concerns only the browser's filesystems.
 *
 * shared_buffers is 32 MB instead of PostgreSQL's 128 MB: PGlite zeroes its shared memory at every
 * start (about a second of a start on a 2-core machine) and that memory stays resident, while a page
 * it does not cache is a read from the OS's cache away. The demo data fits in it several times over;
 * wal_buffers follows (1/32 of it).
 */
export const EMBEDDED_START_PARAMS = [
  ...PGlite.defaultStartParams.filter((param) => param !== "-F"),
  "-c",
  "fsync=on",
  "-c",
  "wal_sync_method=open_datasync",
  "-c",
  "shared_buffers=32MB",
];

/** A throw-away database in memory (tests, benchmarks) needs no durability: PGlite's defaults, with the same memory. */
const IN_MEMORY_START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"];

export interface PgliteServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * PGlite on the data folder `pgdata` (or "memory://"), served over the wire protocol on 127.0.0.1.
 * A `pgdata` that does not exist yet starts as a copy of the image of a migrated database when there
 * is one (embedded-image.ts), else PGlite runs initdb in it.
 */
export async function servePglite(pgdata: string): Promise<PgliteServer> {
  let db: PGlite;
  if (pgdata.startsWith("memory://")) db = await PGlite.create("memory://", { startParams: IN_MEMORY_START_PARAMS });
  else {
    restoreImage(pgdata);
    db = await PGlite.create(pgdata, { startParams: EMBEDDED_START_PARAMS });
  }
  const server = await serveWireProtocol(db);
  return {
    port: server.port,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * Makes a database in the empty folder `pgdata` (PGlite's initdb), applies the migrations and
 * stops it: what an embedded-image.ts image holds.
 */
export async function createMigratedDataDir(pgdata: string): Promise<void> {
  const db = await PGlite.create(pgdata, { startParams: EMBEDDED_START_PARAMS });
  const server = await serveWireProtocol(db);
  const pool = createPool(embeddedUrl(server.port), 2); // runMigrations holds one while it creates partitions on another
  try {
    await runMigrations(pool);
  } finally {
    await pool.end();
    await server.stop();
    await db.close();
  }
}
