import type pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDb, createPool, type Db } from "../../src/db/client.js";
import { runMigrations } from "../../src/db/migrate.js";
import { ensureMeasurementPartitions, partitionName } from "../../src/db/partitions.js";
import { kpiMeasurements, userKpis } from "../../src/db/schema/index.js";
import { buildAssignment, buildDefinition, buildUser, unique } from "../helpers/factories.js";

/**
 * The migrated schema against the run's database (embedded or PostgreSQL): migrations are
 * re-runnable, kpi_measurements is partitioned by month, and the constraints hold. Every file shares
 * this database, so rows are our own (factories) and partition months are far away from others'.
 */

let pool: pg.Pool;
let db: Db;

beforeAll(() => {
  pool = createPool(inject("databaseUrl"), 3);
  db = createDb(pool);
});
afterAll(() => pool?.end());

interface PgError {
  code?: string;
  constraint?: string;
  message: string;
}

/** Awaits a statement that must fail and returns the PostgreSQL error (unwrapped from Drizzle's). */
async function pgErrorOf(statement: PromiseLike<unknown>): Promise<PgError> {
  try {
    await statement;
  } catch (error) {
    return ((error as { cause?: unknown }).cause ?? error) as PgError;
  }
  throw new Error("expected the statement to fail, but it succeeded");
}

const utcMonth = (year: number, month: number) => new Date(Date.UTC(year, month - 1, 1));
const isoDate = (date: Date) => date.toISOString().slice(0, 10);
const nextMonth = (month: Date) => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));

/** Partitions of kpi_measurements by name, with their bounds. */
async function partitions(): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ name: string; bound: string }>(`
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'kpi_measurements'::regclass`);
  return new Map(rows.map((row) => [row.name, row.bound]));
}

describe("runMigrations", () => {
  it("is a no-op the second time: no error, no new migration rows", async () => {
    const before = await pool.query<{ id: number; hash: string }>(
      "SELECT id, hash FROM drizzle.__drizzle_migrations ORDER BY id",
    );
    expect(before.rows.length).toBeGreaterThan(0);

    await expect(runMigrations(pool)).resolves.toBeUndefined();

    const after = await pool.query<{ id: number; hash: string }>("SELECT id, hash FROM drizzle.__drizzle_migrations ORDER BY id");
    expect(after.rows).toEqual(before.rows);
  });

  it("leaves the schema usable after running again", async () => {
    await runMigrations(pool);
    const user = await buildUser(db);
    expect(user.id).toBeGreaterThan(0);
  });
});

describe("kpi_measurements partitioning", () => {
  it("is a table partitioned by range", async () => {
    const { rows } = await pool.query<{ relkind: string; strategy: string }>(`
      SELECT c.relkind, p.partstrat AS strategy
      FROM pg_class c JOIN pg_partitioned_table p ON p.partrelid = c.oid
      WHERE c.oid = 'kpi_measurements'::regclass`);
    expect(rows).toEqual([{ relkind: "p", strategy: "r" }]);
  });

  it("has monthly partitions around today, including the current month", async () => {
    const today = new Date();
    const current = utcMonth(today.getUTCFullYear(), today.getUTCMonth() + 1);
    const existing = await partitions();
    expect(existing.get(partitionName(current))).toBe(
      `FOR VALUES FROM ('${isoDate(current)}') TO ('${isoDate(nextMonth(current))}')`,
    );
    // runMigrations creates 24 months back and 3 ahead.
    for (const offset of [-24, -12, -1, 1, 3]) {
      const month = utcMonth(current.getUTCFullYear(), current.getUTCMonth() + 1 + offset);
      expect(existing.has(partitionName(month)), partitionName(month)).toBe(true);
    }
  });

  it("ensureMeasurementPartitions for a month 5 years ago creates that month's partition, idempotently", async () => {
    const today = new Date();
    const target = utcMonth(today.getUTCFullYear() - 5, today.getUTCMonth() + 1);
    const previous = utcMonth(target.getUTCFullYear(), target.getUTCMonth());
    const following = nextMonth(target);
    const before = await partitions();

    await ensureMeasurementPartitions(db, isoDate(target), isoDate(target));
    const after = await partitions();
    expect(after.get(partitionName(target))).toBe(`FOR VALUES FROM ('${isoDate(target)}') TO ('${isoDate(following)}')`);
    // Only the month asked for: its neighbours are as they were.
    expect(after.has(partitionName(previous))).toBe(before.has(partitionName(previous)));
    expect(after.has(partitionName(following))).toBe(before.has(partitionName(following)));

    await expect(ensureMeasurementPartitions(db, isoDate(target), `${isoDate(target).slice(0, 8)}28`)).resolves.toBeUndefined();
    expect((await partitions()).get(partitionName(target))).toBe(after.get(partitionName(target)));
  });

  it("creates exactly the partitions of the range asked for, and nothing twice", async () => {
    const inYear = (names: Iterable<string>) => [...names].filter((name) => name.startsWith("kpi_measurements_y1993")).sort();
    expect(inYear((await partitions()).keys())).toEqual([]);

    await ensureMeasurementPartitions(db, "1993-07-10", "1993-07-20");
    expect(inYear((await partitions()).keys())).toEqual(["kpi_measurements_y1993m07"]);

    await ensureMeasurementPartitions(db, "1993-06-01", "1993-08-31");
    await ensureMeasurementPartitions(db, "1993-06-01", "1993-08-31");
    expect(inYear((await partitions()).keys())).toEqual([
      "kpi_measurements_y1993m06",
      "kpi_measurements_y1993m07",
      "kpi_measurements_y1993m08",
    ]);
  });

  it("refuses a measurement for a month without a partition, and takes it once the partition exists", async () => {
    const assignment = await buildAssignment(db);
    const row = { userKpiId: assignment.id, periodStart: "1994-02-01", periodEnd: "1994-03-01", actualValue: 7 };
    expect((await partitions()).has("kpi_measurements_y1994m02")).toBe(false);

    const error = await pgErrorOf(db.insert(kpiMeasurements).values(row));
    expect(error.code).toBe("23514");
    expect(error.message).toMatch(/no partition/i);

    await ensureMeasurementPartitions(db, row.periodStart, row.periodEnd.replace("03-01", "02-28"));
    const [inserted] = await db.insert(kpiMeasurements).values(row).returning();
    const { rows } = await pool.query<{ partition: string }>(
      "SELECT tableoid::regclass::text AS partition FROM kpi_measurements WHERE id = $1 AND period_start = $2",
      [inserted!.id, row.periodStart],
    );
    expect(rows).toEqual([{ partition: "kpi_measurements_y1994m02" }]);
  });
});

describe("constraints", () => {
  describe("user_kpis", () => {
    it("rejects a weight above 100 or below 0, and accepts the bounds", async () => {
      const user = await buildUser(db);
      const definition = await buildDefinition(db);
      const values = (weight: number, startDate: string) => ({
        userId: user.id,
        kpiDefinitionId: definition.id,
        targetValue: 1,
        weight,
        startDate,
      });

      for (const weight of [101, -1, 100.01]) {
        const error = await pgErrorOf(db.insert(userKpis).values(values(weight, "2024-01-01")));
        expect(error.code, `weight ${weight}`).toBe("23514");
        expect(error.constraint).toBe("user_kpis_weight_range");
      }
      await db.insert(userKpis).values(values(0, "2024-01-01"));
      await db.insert(userKpis).values(values(100, "2024-02-01"));
    });

    it("rejects an end date before the start date, and accepts a one-day or open assignment", async () => {
      const error = await pgErrorOf(buildAssignment(db, { startDate: "2024-05-10", endDate: "2024-05-09" }));
      expect(error.code).toBe("23514");
      expect(error.constraint).toBe("user_kpis_dates_ordered");

      await expect(buildAssignment(db, { startDate: "2024-05-10", endDate: "2024-05-10" })).resolves.toMatchObject({
        endDate: "2024-05-10",
      });
      await expect(buildAssignment(db, { startDate: "2024-05-10", endDate: null })).resolves.toMatchObject({ endDate: null });
    });

    it("rejects a second assignment of the same definition to the same user from the same day", async () => {
      const first = await buildAssignment(db, { startDate: "2024-03-01" });
      const again = {
        userId: first.userId,
        kpiDefinitionId: first.kpiDefinitionId,
        targetValue: 5,
        weight: 10,
        startDate: "2024-03-01",
      };
      const error = await pgErrorOf(db.insert(userKpis).values(again));
      expect(error.code).toBe("23505");
      expect(error.constraint).toBe("user_kpis_user_definition_start_unique");

      await db.insert(userKpis).values({ ...again, startDate: "2024-04-01" });
    });
  });

  describe("kpi_measurements", () => {
    // The current month always has a partition (runMigrations creates it).
    const today = new Date();
    const month = utcMonth(today.getUTCFullYear(), today.getUTCMonth() + 1);
    const periodStart = isoDate(month);
    const periodEnd = isoDate(nextMonth(month));

    it("rejects a period that ends on or before its start", async () => {
      const assignment = await buildAssignment(db);
      for (const end of [periodStart, isoDate(new Date(month.getTime() - 86_400_000))]) {
        const error = await pgErrorOf(
          db.insert(kpiMeasurements).values({ userKpiId: assignment.id, periodStart, periodEnd: end }),
        );
        expect(error.code, `period_end ${end}`).toBe("23514");
        expect(error.constraint).toBe("kpi_measurements_period_ordered");
      }
    });

    it("rejects a second measurement of the same assignment and period (idx_kpi_measurements_user_period)", async () => {
      const assignment = await buildAssignment(db);
      await db.insert(kpiMeasurements).values({ userKpiId: assignment.id, periodStart, periodEnd, actualValue: 1 });
      const error = await pgErrorOf(
        db.insert(kpiMeasurements).values({ userKpiId: assignment.id, periodStart, periodEnd, actualValue: 2 }),
      );
      expect(error.code).toBe("23505");

      // Another assignment may be measured for the same period.
      const other = await buildAssignment(db);
      await db.insert(kpiMeasurements).values({ userKpiId: other.id, periodStart, periodEnd, actualValue: 3 });
    });

    it("backs that rule with the unique index on (user_kpi_id, period_start, period_end)", async () => {
      const { rows } = await pool.query<{ unique: boolean; definition: string }>(`
        SELECT i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i WHERE i.indexrelid = 'idx_kpi_measurements_user_period'::regclass`);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.unique).toBe(true);
      expect(rows[0]!.definition).toMatch(/\(user_kpi_id, period_start, period_end\)/);
    });
  });

  describe("users", () => {
    it("rejects a second user with the same email", async () => {
      const email = `${unique("dup")}@test.example`;
      await buildUser(db, { email });
      const error = await pgErrorOf(buildUser(db, { email }));
      expect(error.code).toBe("23505");
      expect(error.constraint).toBe("users_email_unique");
    });
  });
});
