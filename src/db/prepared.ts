import type pg from "pg";

/** Pools whose connections each have a server session of their own: a real PostgreSQL. */
const ownSessions = new WeakSet<pg.Pool>();

/** Lets `pool`'s hot statements be prepared once per connection (see `prepared`). */
export function allowPreparedStatements(pool: pg.Pool): void {
  ownSessions.add(pool);
}

/**
 * A hot read as a named statement, so each connection parses and plans it once instead of on every
 * request. Planning the latest-measurements read, a LATERAL over every monthly partition, cost
 * PostgreSQL more than running it: naming it took a team dashboard from 13.5 to 9.8 ms of database
 * CPU (bench/peer.ts). Unnamed on the embedded database, whose connections share PGlite's one
 * session: there a second connection preparing the same name would fail ("already exists").
 */
export function prepared(pool: pg.Pool, name: string, text: string, values: unknown[]): pg.QueryConfig {
  return ownSessions.has(pool) ? { name, text, values } : { text, values };
}
