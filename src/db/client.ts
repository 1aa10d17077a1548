import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema/index.js";
import { allowPreparedStatements } from "./prepared.js";
import { instrumentPool } from "./statement-counter.js";
import { typeParsers } from "./timestamps.js";

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** The handle a transaction callback receives; services accept either it or the root handle. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  url: string;
  /** True when this process serves the embedded PGlite database. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * A pool of `max` connections to `url`. `preparedStatements` for a real PostgreSQL only, never the
 * embedded database, whose connections share one session (db/prepared.ts).
 */
export function createPool(url: string, max: number, options: { preparedStatements?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, types: typeParsers });
  if (options.preparedStatements) allowPreparedStatements(pool);
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on("error", () => undefined);
  // So does a client taken from the pool and between two statements (inside a transaction, say) when
  // the server ends every session (a fast shutdown): the pool listens to idle clients only. Its
  // holder learns of it from its next statement, and the pool discards the client on release.
  pool.on("connect", (client) => client.on("error", () => undefined));
  instrumentPool(pool);
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle(pool, { schema });
}
