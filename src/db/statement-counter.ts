import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import type pg from "pg";

/**
 * Counts the SQL statements each request runs, so that tests and benchmarks can check that a
 * query's statement count does not grow with its data (no N+1). Costs one increment per statement.
 */
const requestStatements = new AsyncLocalStorage<{ count: number }>();

export function countStatements<T>(work: () => T): T {
  return requestStatements.run({ count: 0 }, work);
}

export function statementsSoFar(): number | undefined {
  return requestStatements.getStore()?.count;
}

const instrumented = new WeakSet<object>();

/** Counts every statement of the pool's clients (pool.query runs on a client too). */
export function instrumentPool(pool: pg.Pool): void {
  // A request waiting for a connection gets it in the callback of whichever request released one;
  // binding the callback keeps the statements counted for the request that asked.
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) =>
    callback ? connect(AsyncResource.bind(callback)) : connect();
  pool.on("connect", (client) => {
    if (instrumented.has(client)) return;
    instrumented.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const store = requestStatements.getStore();
      if (store) store.count++;
      return query(...args);
    };
  });
}
