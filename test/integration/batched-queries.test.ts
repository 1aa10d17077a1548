import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CalculableDefinition } from "../../src/engine/calculator/calculator.js";
import { CalculationError, type CalculationSubject, type SourceResult } from "../../src/engine/outcome.js";
import { QueryRunner, type BatchResult } from "../../src/engine/query/query-runner.js";
import { SourceConnections } from "../../src/engine/query/source-connections.js";
import { createPool } from "../../src/db/client.js";
import { prefetchQueries } from "../../src/engine/batch/query-prefetch.js";
import { sourceTable } from "../helpers/calculation.js";

/**
 * One statement for many users (batchedQuery through QuerySession.runMany and prefetchQueries): each
 * user's result must be exactly what their query gives alone, and a batch that cannot run leaves
 * every user to their own query.
 */

const pool = createPool(inject("databaseUrl"), 3);
const runner = new QueryRunner(new SourceConnections(pool, {}), { timeoutMs: 5_000, timeZone: "UTC" });
const table = sourceTable("batched_cases");
const october = { start: "2026-10-01", end: "2026-11-01" };
const subject = (userId: number, externalIds: Record<string, string> = {}): CalculationSubject => ({
  userId,
  period: october,
  externalIds,
});
const source = (query: string) => ({ type: "database" as const, query });

// User 1: 3 cases in October (one in November does not count); user 2: 5; user 3: none; user 4: two
// rows of a per-row query; refs "1" and "2" (of nobody) for a query comparing a text column with :user_id.
beforeAll(async () => {
  await pool.query(`CREATE TABLE kpi_source.${table} (assigned_to int NOT NULL, ref text NOT NULL, hours numeric, closed_at date NOT NULL);
    INSERT INTO kpi_source.${table} SELECT 1, 'a1', g, ('2026-10-0' || g)::date FROM generate_series(1, 3) g;
    INSERT INTO kpi_source.${table} VALUES (1, 'a1', 9, '2026-11-02');
    INSERT INTO kpi_source.${table} SELECT 2, 'a2', NULL, ('2026-10-1' || g)::date FROM generate_series(1, 5) g;
    INSERT INTO kpi_source.${table} SELECT 4, 'a4', g, ('2026-10-2' || g)::date FROM generate_series(1, 2) g;
    INSERT INTO kpi_source.${table} VALUES (99, '1', 1, '2026-10-05'), (99, '1', 1, '2026-10-06'), (99, '2', 1, '2026-10-07')`);
});
afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS kpi_source.${table}`);
  await pool.end();
});

async function alone(query: string, subjects: CalculationSubject[]): Promise<BatchResult[]> {
  return Promise.all(
    subjects.map((s) =>
      runner.run(source(query), s).catch((error: unknown) => (error instanceof CalculationError ? error : Promise.reject(error))),
    ),
  );
}

async function together(query: string, subjects: CalculationSubject[]): Promise<BatchResult[]> {
  const session = runner.openSession();
  try {
    return await session.runMany(source(query), subjects);
  } finally {
    await session.close();
  }
}

/** What a result says, without the timings and the batch size that differ by construction. */
const outcome = (result: BatchResult) =>
  result instanceof CalculationError
    ? { error: result.message }
    : {
        kind: result.kind,
        value: result.kind === "value" ? result.value : null,
        reason: "reason" in result ? result.reason : null,
        rows: result.metadata.rows,
        parameters: result.metadata.parameters,
      };

describe("QuerySession.runMany", () => {
  const subjects = [1, 2, 3, 4].map((id) => subject(id, id === 3 ? {} : { intercom: `a${id}` }));

  it.each([
    [
      "a count",
      `SELECT count(*) FROM ${table} WHERE assigned_to = :user_id AND closed_at >= :start_date AND closed_at < :end_date`,
    ],
    [
      "an average (NULL for user 2, no rows' NULL for user 3)",
      `SELECT avg(hours) FROM ${table} WHERE assigned_to = :user_id AND closed_at >= :start_date AND closed_at < :end_date`,
    ],
    [
      "a row per case (several rows fail, none is undefined)",
      `SELECT hours FROM ${table} WHERE assigned_to = :user_id AND closed_at < :end_date -- a trailing comment`,
    ],
    [
      "a parameter used twice and an external id",
      `SELECT count(*) FROM ${table} WHERE assigned_to = :user_id AND ref = :external_id.intercom AND :user_id > 0;`,
    ],
  ])("gives each user what their query gives alone: %s", async (_label, query) => {
    const expected = (await alone(query, subjects)).map(outcome);
    expect((await together(query, subjects)).map(outcome)).toEqual(expected);
  });

  it("tags results as batched", async () => {
    const [first] = await together(`SELECT count(*) FROM ${table} WHERE assigned_to = :user_id`, subjects.slice(0, 2));
    expect((first as SourceResult).metadata).toMatchObject({ batchedWith: 2, rows: 1 });
  });

  it("fails as a whole when the per-user column does not fit the query (a text column), as CalculationError", async () => {
    await expect(together(`SELECT count(*) FROM ${table} WHERE ref = :user_id`, subjects)).rejects.toThrow(CalculationError);
  });
});

describe("prefetchQueries", () => {
  const definition = (id: number, query: string): CalculableDefinition => ({
    id,
    calculationType: "query",
    dataSource: { type: "database", query },
    updatedAt: new Date(0),
  });
  const assignment = (userId: number, def: CalculableDefinition) => ({
    userId,
    definition: def,
    period: october,
    externalIds: {},
  });

  it("answers each user's query from one statement, and leaves an unbatchable query to run per user", async () => {
    const count = definition(
      1,
      `SELECT count(*) FROM ${table} WHERE assigned_to = :user_id AND closed_at >= :start_date AND closed_at < :end_date`,
    );
    // Compared as text, the per-user int column makes the batch fail; alone, the parameter is inferred as text.
    const byRef = definition(2, `SELECT count(*) FROM ${table} WHERE ref = :user_id`);
    const assignments = [1, 2, 3].flatMap((userId) => [assignment(userId, count), assignment(userId, byRef)]);
    const session = runner.openSession();
    let statements = 0;
    const counting = {
      run: (...args: Parameters<typeof session.run>) => {
        statements++;
        return session.run(...args);
      },
      runMany: (...args: Parameters<typeof session.runMany>) => {
        statements++;
        return session.runMany(...args);
      },
    };
    try {
      const prefetched = await prefetchQueries(counting, assignments);
      expect(statements).toBe(2); // one batch per query; the second failed as a whole
      const executor = prefetched.over(counting);
      const values = async (def: CalculableDefinition) =>
        Promise.all(
          [1, 2, 3].map(async (userId) => {
            const result = await executor.run(def.dataSource as never, subject(userId));
            return result.kind === "value" ? result.value : null;
          }),
        );
      expect(await values(count)).toEqual([3, 5, 0]);
      expect(statements).toBe(2); // answered from the batch
      expect(await values(byRef)).toEqual([2, 1, 0]);
      expect(statements).toBe(5); // each user's own query
    } finally {
      await session.close();
    }
  });
});
