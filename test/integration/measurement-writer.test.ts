import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { createDb, createPool } from "../../src/db/client.js";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import { kpiMeasurements } from "../../src/db/schema/index.js";
import { upsertMeasurements, type MeasurementWrite } from "../../src/engine/batch/measurement-writer.js";
import { buildAssignment, buildDefinition, buildUser } from "../helpers/factories.js";

const pool = createPool(inject("databaseUrl"), 2);
const db = createDb(pool);
const period = { start: "2024-03-01", end: "2024-04-01" };
let ids: number[] = [];

beforeAll(async () => {
  await ensureMeasurementPartitions(db, period.start, period.start);
  const user = await buildUser(db);
  const definitions = await Promise.all([1, 2, 3].map(() => buildDefinition(db)));
  ids = [];
  for (const definition of definitions) {
    ids.push((await buildAssignment(db, { user, definition, targetValue: 10, weight: 30, startDate: "2024-01-01" })).id);
  }
});
afterAll(() => pool.end());

const stored = () =>
  db.select().from(kpiMeasurements).where(inArray(kpiMeasurements.userKpiId, ids)).orderBy(kpiMeasurements.userKpiId);

const write = (actual: (i: number) => number | null, run: string): MeasurementWrite[] =>
  ids.map((userKpiId, i) => ({
    userKpiId,
    period,
    actualValue: actual(i),
    targetValue: 10,
    achievementPercentage: actual(i) === null ? null : actual(i)! * 10,
    calculationMetadata: { source: "test", run, i },
  }));

describe("upsertMeasurements", () => {
  it("stores many rows in one call, and a second call replaces them without duplicates", async () => {
    expect(
      await upsertMeasurements(
        pool,
        write((i) => i + 1.5, "first"),
      ),
    ).toBe(3);
    let rows = await stored();
    expect(rows.map((r) => [r.actualValue, r.achievementPercentage, r.periodStart, r.periodEnd])).toEqual([
      [1.5, 15, period.start, period.end],
      [2.5, 25, period.start, period.end],
      [3.5, 35, period.start, period.end],
    ]);
    expect(rows[1]!.calculationMetadata).toEqual({ source: "test", run: "first", i: 1 });

    // The second run: changed values, one without an actual (an "undefined" outcome).
    await upsertMeasurements(
      pool,
      write((i) => (i === 0 ? null : i * 2), "second"),
    );
    rows = await stored();
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => [r.actualValue, r.achievementPercentage, r.targetValue])).toEqual([
      [null, null, 10],
      [2, 20, 10],
      [4, 40, 10],
    ]);
    expect(rows.map((r) => r.calculationMetadata)).toEqual([0, 1, 2].map((i) => ({ source: "test", run: "second", i })));
  });

  it("does nothing for no rows", async () => {
    expect(await upsertMeasurements(pool, [])).toBe(0);
  });
});
