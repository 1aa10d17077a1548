import { describe, expect, it } from "vitest";
import { changeBetween, samePeriodLastYear } from "../../src/scoring/comparison.js";

describe("changeBetween", () => {
  it("gives the change in value, in percent of the earlier value, and in achievement points", () => {
    expect(changeBetween({ value: 30, achievement: 100 }, { value: 24, achievement: 80 })).toEqual({
      valueChange: 6,
      valueChangePercent: 25,
      achievementChange: 20,
    });
    expect(changeBetween({ value: 3, achievement: 50 }, { value: -4, achievement: 60 })).toEqual({
      valueChange: 7,
      valueChangePercent: 175, // relative to the earlier value's size
      achievementChange: -10,
    });
  });

  it("leaves out what cannot be computed", () => {
    expect(changeBetween({ value: 5, achievement: 10 }, { value: 0, achievement: null })).toEqual({
      valueChange: 5,
      valueChangePercent: null,
      achievementChange: null,
    });
    expect(changeBetween({ value: null, achievement: null }, { value: 3, achievement: 50 })).toEqual({
      valueChange: null,
      valueChangePercent: null,
      achievementChange: null,
    });
    expect(changeBetween({ value: 1, achievement: 1 }, null)).toEqual({
      valueChange: null,
      valueChangePercent: null,
      achievementChange: null,
    });
  });
});

describe("samePeriodLastYear", () => {
  it("finds the same month, quarter and day a year earlier", () => {
    expect(samePeriodLastYear("monthly", { start: "2026-11-01", end: "2026-12-01" })).toEqual({
      start: "2025-11-01",
      end: "2025-12-01",
    });
    expect(samePeriodLastYear("quarterly", { start: "2026-10-01", end: "2027-01-01" })).toEqual({
      start: "2025-10-01",
      end: "2026-01-01",
    });
    expect(samePeriodLastYear("daily", { start: "2026-03-01", end: "2026-03-02" })).toEqual({
      start: "2025-03-01",
      end: "2025-03-02",
    });
  });

  it("takes 28 February for a 29th", () => {
    expect(samePeriodLastYear("daily", { start: "2028-02-29", end: "2028-03-01" })).toEqual({
      start: "2027-02-28",
      end: "2027-03-01",
    });
  });

  it("takes the week with the same ISO number in the previous ISO year", () => {
    // Week 49 of 2026 starts Monday 30 November; week 49 of 2025 started Monday 1 December.
    expect(samePeriodLastYear("weekly", { start: "2026-11-30", end: "2026-12-07" })).toEqual({
      start: "2025-12-01",
      end: "2025-12-08",
    });
    // Week 1 of 2026 starts 29 December 2025; week 1 of 2025 started 30 December 2024.
    expect(samePeriodLastYear("weekly", { start: "2025-12-29", end: "2026-01-05" })).toEqual({
      start: "2024-12-30",
      end: "2025-01-06",
    });
  });

  it("takes week 52 for a week 53 when the year before had none", () => {
    // 2026 has 53 ISO weeks (week 53 starts 28 December 2026); 2025 has 52, the last starting 22 December 2025.
    expect(samePeriodLastYear("weekly", { start: "2026-12-28", end: "2027-01-04" })).toEqual({
      start: "2025-12-22",
      end: "2025-12-29",
    });
    // Week 10 of 2021 (from 8 March) against 2020, which had 53 weeks: week 10 of 2020 started 2 March.
    expect(samePeriodLastYear("weekly", { start: "2021-03-08", end: "2021-03-15" })).toEqual({
      start: "2020-03-02",
      end: "2020-03-09",
    });
  });
});
