import { describe, expect, it } from "vitest";
import { batchedQuery } from "../../src/engine/query/batched-query.js";

const october = { start: "2026-10-01", end: "2026-11-01" };
const subject = (userId: number, externalIds: Record<string, string> = {}, period = october) => ({ userId, period, externalIds });

describe("batchedQuery", () => {
  it("reads per-user parameters from the subjects list and binds the period once", () => {
    const batch = batchedQuery(
      "SELECT count(*) FROM t WHERE a = :user_id AND b = :external_id.intercom AND at >= :start_date AND at < :end_date AND :user_id > 0;",
      [subject(7, { intercom: "x7" }), subject(9, { intercom: "x9" })],
    )!;
    expect(batch.query.values).toEqual([[7, 9], ["x7", "x9"], "2026-10-01", "2026-11-01"]);
    expect(batch.query.text).toBe(
      "SELECT kpi_subject.n, kpi_query.* FROM unnest($1::int[], $2::text[]) WITH ORDINALITY AS kpi_subject(p1, p2, n)\n" +
        "CROSS JOIN LATERAL (SELECT * FROM (\n" +
        "SELECT count(*) FROM t WHERE a = kpi_subject.p1 AND b = kpi_subject.p2 AND at >= $3 AND at < $4 AND kpi_subject.p1 > 0\n" +
        ") AS kpi_inner LIMIT 2) AS kpi_query\nORDER BY kpi_subject.n",
    );
    expect(batch.bound.map((bound) => bound.parameters.user_id)).toEqual([7, 9]);
  });

  it("gives a query without per-user parameters a row per subject", () => {
    const batch = batchedQuery("SELECT 1 WHERE :start_date IS NOT NULL", [subject(1), subject(2), subject(3)])!;
    expect(batch.query.values).toEqual(["2026-10-01", [1, 2, 3]]);
    expect(batch.query.text).toContain("unnest($2::int[]) WITH ORDINALITY AS kpi_subject(position, n)");
  });

  it("refuses subjects of different periods, and a subject without a needed external id", () => {
    expect(
      batchedQuery("SELECT :start_date", [subject(1), subject(2, {}, { start: "2026-09-01", end: "2026-10-01" })]),
    ).toBeNull();
    expect(batchedQuery("SELECT :external_id.aircall", [subject(1, { aircall: "a" }), subject(2)])).toBeNull();
    expect(batchedQuery("SELECT 1", [])).toBeNull();
  });
});
