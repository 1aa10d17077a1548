import { describe, expect, it } from "vitest";
import { backfillRuns } from "../../src/modules/run/backfill.js";

const TODAY = "2026-11-30";

describe("backfillRuns (calc --date / --from --to)", () => {
  it("takes the period containing --date, for one aggregation period or all four", () => {
    expect(backfillRuns({ period: "monthly", date: "2026-10-15" }, TODAY)).toEqual([
      { aggregationPeriod: "monthly", period: { start: "2026-10-01", end: "2026-11-01" } },
    ]);
    expect(backfillRuns({ date: "2026-10-15" }, TODAY).map((run) => [run.aggregationPeriod, run.period.start])).toEqual([
      ["daily", "2026-10-15"],
      ["weekly", "2026-10-12"],
      ["monthly", "2026-10-01"],
      ["quarterly", "2026-10-01"],
    ]);
  });

  it("takes every period starting within --from..--to, and none that has not started", () => {
    const monthly = backfillRuns({ period: "MONTHLY", from: "2026-01-01", to: "2026-06-30" }, TODAY);
    expect(monthly.map((run) => run.period.start)).toEqual([
      "2026-01-01",
      "2026-02-01",
      "2026-03-01",
      "2026-04-01",
      "2026-05-01",
      "2026-06-01",
    ]);
    // A period starting before --from is not part of it; one starting after today is left out.
    expect(
      backfillRuns({ period: "quarterly", from: "2026-02-15", to: "2027-03-01" }, TODAY).map((run) => run.period.start),
    ).toEqual(["2026-04-01", "2026-07-01", "2026-10-01"]);
    expect(
      backfillRuns({ period: "weekly", from: "2026-11-23", to: "2026-12-31" }, TODAY).map((run) => run.period.start),
    ).toEqual(["2026-11-23", "2026-11-30"]);
  });

  it("refuses bad options with a readable message", () => {
    expect(() => backfillRuns({ period: "yearly", date: "2026-10-15" }, TODAY)).toThrow(/--period must be one of daily/);
    expect(() => backfillRuns({ period: "monthly" }, TODAY)).toThrow(/either --date or --from and --to/);
    expect(() => backfillRuns({ date: "2026-10-15", from: "2026-01-01" }, TODAY)).toThrow(/either --date/);
    expect(() => backfillRuns({ date: "2026-13-01" }, TODAY)).toThrow(/--date must be a date/);
    expect(() => backfillRuns({ from: "2026-06-01", to: "2026-01-01" }, TODAY)).toThrow(/from <= to/);
    expect(() => backfillRuns({ period: "daily", from: "2020-01-01", to: "2026-01-01" }, TODAY)).toThrow(/more than 1000 runs/);
  });
});
