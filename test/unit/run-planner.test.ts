import { describe, expect, it } from "vitest";
import { chunkByUser, runPeriod, runPeriods } from "../../src/modules/run/run-planner.js";

const KINDS = ["daily", "weekly", "monthly", "quarterly"] as const;

describe("runPeriods", () => {
  it("gives each kind of period what runPeriod gives, computed once per kind", () => {
    for (const periodContaining of [null, "2026-05-20"]) {
      const periodOf = runPeriods(periodContaining, "2026-11-30");
      for (const kind of KINDS) {
        expect(periodOf(kind)).toEqual(runPeriod(kind, periodContaining, "2026-11-30"));
        expect(periodOf(kind)).toBe(periodOf(kind)); // the same object: shared by the run's assignments
      }
    }
  });
});

describe("chunkByUser", () => {
  it("cuts batches of about the size, never splitting a user", () => {
    const assignments = [1, 1, 1, 2, 2, 3, 4, 4, 4, 4].map((userId, i) => ({ userKpiId: i + 1, userId }));
    expect(chunkByUser(assignments, 3)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9, 10],
    ]);
  });
});
