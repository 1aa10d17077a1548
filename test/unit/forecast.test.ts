import { describe, expect, it } from "vitest";
import { elapsedDays, leastSquares, periodDays, projectLinearly, projectTrend } from "../../src/scoring/forecast.js";

const november = { start: "2026-11-01", end: "2026-12-01" };
const higher = { targetType: "higher_better" as const, targetValue: 30 };

describe("leastSquares", () => {
  it("recovers an exact line", () => {
    const points = [-4, -3, -2, -1].map((offset) => ({ offset, value: 10 + 2 * offset }));
    expect(leastSquares(points)).toEqual({ slope: 2, intercept: 10 });
  });

  it("fits a known noisy series", () => {
    // mean x -2, mean y 11; covariance 1, variance 2: slope 0.5, intercept 11 + 0.5 × 2 = 12.
    expect(
      leastSquares([
        { offset: -3, value: 10 },
        { offset: -2, value: 12 },
        { offset: -1, value: 11 },
      ]),
    ).toEqual({
      slope: 0.5,
      intercept: 12,
    });
  });

  it("needs two distinct offsets", () => {
    expect(leastSquares([])).toBeNull();
    expect(leastSquares([{ offset: -1, value: 3 }])).toBeNull();
    expect(
      leastSquares([
        { offset: -1, value: 3 },
        { offset: -1, value: 5 },
      ]),
    ).toBeNull();
  });
});

describe("elapsedDays and periodDays", () => {
  it("counts from midnight of the period's first day in the time zone", () => {
    expect(elapsedDays(november, new Date("2026-11-11T00:00:00Z"), "UTC")).toBe(10);
    expect(elapsedDays(november, new Date("2026-11-10T23:00:00Z"), "Europe/Paris")).toBe(10); // 00:00 in Paris
    expect(elapsedDays(november, new Date("2026-11-11T06:00:00Z"), "UTC")).toBe(10.25);
  });

  it("follows the local clock across a DST change", () => {
    // 29 March 2026, 12:00 UTC is 14:00 summer time in Paris: 28 days and 14 hours into March.
    expect(elapsedDays({ start: "2026-03-01", end: "2026-04-01" }, new Date("2026-03-29T12:00:00Z"), "Europe/Paris")).toBeCloseTo(
      28 + 14 / 24,
      10,
    );
  });

  it("knows each period's length", () => {
    expect(periodDays(november)).toBe(30);
    expect(periodDays({ start: "2028-02-01", end: "2028-03-01" })).toBe(29);
    expect(periodDays({ start: "2026-10-01", end: "2027-01-01" })).toBe(92);
  });
});

describe("projectLinearly (additive KPIs)", () => {
  it("scales the value so far to the whole period", () => {
    const forecast = projectLinearly(higher, november, { value: 12, calculatedAt: new Date("2026-11-11T00:00:00Z") }, "UTC");
    expect(forecast).toMatchObject({
      method: "linear_projection",
      valueToDate: 12,
      elapsedDays: 10,
      periodDays: 30,
      projectedValue: 36,
      projectedAchievement: 120,
      onTrack: true,
    });
    expect(forecast.explanation).toBe("12 in 10 of 30 days, scaled to the whole period.");
  });

  it("is off track when the pace falls short", () => {
    const forecast = projectLinearly(higher, november, { value: 6, calculatedAt: new Date("2026-11-16T00:00:00Z") }, "UTC");
    expect(forecast).toMatchObject({ projectedValue: 12, projectedAchievement: 40, onTrack: false });
  });

  it("keeps a complete period's value as it is", () => {
    const forecast = projectLinearly(higher, november, { value: 31, calculatedAt: new Date("2026-12-02T08:00:00Z") }, "UTC");
    expect(forecast).toMatchObject({ projectedValue: 31, elapsedDays: 30, onTrack: true });
  });

  it("projects nothing without a value, or from a calculation before the period", () => {
    expect(projectLinearly(higher, november, null, "UTC")).toMatchObject({ projectedValue: null, onTrack: null });
    expect(projectLinearly(higher, november, { value: null, calculatedAt: new Date() }, "UTC")).toMatchObject({
      projectedValue: null,
    });
    const early = projectLinearly(higher, november, { value: 3, calculatedAt: new Date("2026-10-31T12:00:00Z") }, "UTC");
    expect(early).toMatchObject({ projectedValue: null, elapsedDays: 0 });
  });
});

describe("projectTrend (averages and rates)", () => {
  const points = [
    { offset: -1, periodStart: "2026-10-01", value: 11 },
    { offset: -2, periodStart: "2026-09-01", value: 12 },
    { offset: -3, periodStart: "2026-08-01", value: 10 },
  ];

  it("reads the fitted line at this period", () => {
    const forecast = projectTrend({ targetType: "higher_better", targetValue: 12 }, november, points);
    expect(forecast).toMatchObject({
      method: "least_squares_trend",
      slope: 0.5,
      intercept: 12,
      projectedValue: 12,
      projectedAchievement: 100,
      onTrack: true,
      points,
    });
  });

  it("judges a LOWER_BETTER target the other way", () => {
    const forecast = projectTrend({ targetType: "lower_better", targetValue: 10 }, november, points);
    expect(forecast).toMatchObject({ projectedValue: 12, projectedAchievement: 83.33, onTrack: false });
  });

  it("gives an EXACT target 5 % either way", () => {
    expect(projectTrend({ targetType: "exact", targetValue: 12.5 }, november, points)).toMatchObject({ onTrack: true }); // 96 %
    expect(projectTrend({ targetType: "exact", targetValue: 13 }, november, points)).toMatchObject({ onTrack: false }); // 92.31 %
  });

  it("carries one period's value on, and projects nothing from none", () => {
    expect(projectTrend(higher, november, points.slice(0, 1))).toMatchObject({ method: "last_value", projectedValue: 11 });
    expect(projectTrend(higher, november, [])).toMatchObject({ method: "last_value", projectedValue: null, onTrack: null });
  });
});
