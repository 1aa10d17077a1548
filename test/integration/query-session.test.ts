import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CalculationError, type CalculationSubject } from "../../src/engine/outcome.js";
import { QueryRunner } from "../../src/engine/query/query-runner.js";
import { SourceConnections } from "../../src/engine/query/source-connections.js";
import { createPool } from "../../src/db/client.js";
import { sourceTable } from "../helpers/calculation.js";

/**
 * A batch's query session: its queries share one read-only transaction per connection (one round
 * trip each), a failed query does not spoil the ones after it, the source restrictions hold, and
 * closing it ends the transaction.
 */

const pool = createPool(inject("databaseUrl"), 3);
const runner = new QueryRunner(new SourceConnections(pool, {}), { timeoutMs: 5_000, timeZone: "UTC" });
const table = sourceTable("session_cases");
const subject = (userId: number): CalculationSubject => ({
  userId,
  period: { start: "2026-10-01", end: "2026-11-01" },
  externalIds: {},
});
const count = { type: "database" as const, query: `SELECT count(*) FROM ${table} WHERE assigned_to = :user_id` };

beforeAll(async () => {
  await pool.query(`CREATE TABLE kpi_source.${table} (assigned_to int NOT NULL);
    INSERT INTO kpi_source.${table} SELECT 1 FROM generate_series(1, 3);
    INSERT INTO kpi_source.${table} SELECT 2 FROM generate_series(1, 5)`);
});
afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS kpi_source.${table}`);
  await pool.end();
});

describe("QuerySession", () => {
  it("runs many queries in one transaction and survives a failed one", async () => {
    const session = runner.openSession();
    try {
      const first = await session.run(count, subject(1));
      const failed = session.run({ type: "database", query: `SELECT assigned_to FROM ${table} LIMIT 1 FOR UPDATE` }, subject(1));
      await expect(failed).rejects.toThrow(CalculationError);
      await expect(failed).rejects.toThrow(/read-only/);
      const afterFailure = await session.run(count, subject(2));
      expect(first).toMatchObject({ kind: "value", value: 3 });
      expect(afterFailure).toMatchObject({ kind: "value", value: 5 });
    } finally {
      await session.close();
    }
  });

  it("runs concurrent calls one at a time (a formula's inputs), each with its own value", async () => {
    const session = runner.openSession();
    try {
      const results = await Promise.all([1, 2, 1, 2].map((user) => session.run(count, subject(user))));
      expect(results.map((result) => (result.kind === "value" ? result.value : null))).toEqual([3, 5, 3, 5]);
    } finally {
      await session.close();
    }
  });

  it("keeps the restrictions of a single query: only kpi_source, no set_config", async () => {
    const session = runner.openSession();
    try {
      await expect(session.run({ type: "database", query: "SELECT count(*) FROM public.users" }, subject(1))).rejects.toThrow(
        /permission denied/,
      );
      await expect(
        session.run({ type: "database", query: "SELECT length(set_config('role','none',true))" }, subject(1)),
      ).rejects.toThrow(/permission denied for function set_config/);
      expect(await session.run(count, subject(1))).toMatchObject({ kind: "value", value: 3 });
    } finally {
      await session.close();
    }
  });

  it("ends its transaction when closed, so the connection serves others again", async () => {
    const session = runner.openSession();
    await session.run(count, subject(1));
    await session.close();
    // With the session's transaction left open the embedded database would serve no one else, and
    // PostgreSQL would show the connection idle in a read-only transaction.
    const states = await pool.query<{ in_transaction: boolean }>(
      "SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS in_transaction",
    );
    expect(states.rows[0]!.in_transaction).toBe(false);
    expect((await runner.run(count, subject(2))).kind).toBe("value");
  });
});
