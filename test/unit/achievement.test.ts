import { describe, expect, it } from "vitest";
import { achievementPercentage, MAX_ACHIEVEMENT } from "../../src/scoring/achievement.js";

describe("achievementPercentage", () => {
  it("HIGHER_BETTER is actual / target", () => {
    expect(achievementPercentage("higher_better", 90, 120)).toBe(75);
    expect(achievementPercentage("higher_better", 150, 100)).toBe(150);
  });

  it("LOWER_BETTER is target / actual", () => {
    expect(achievementPercentage("lower_better", 30, 24)).toBe(80);
    expect(achievementPercentage("lower_better", 12, 24)).toBe(200);
  });

  it("EXACT loses the relative distance from the target, never below zero", () => {
    expect(achievementPercentage("exact", 90, 100)).toBe(90);
    expect(achievementPercentage("exact", 110, 100)).toBe(90);
    expect(achievementPercentage("exact", 350, 100)).toBe(0);
    expect(achievementPercentage("exact", -90, -100)).toBe(90);
  });

  it("rounds to two decimals", () => {
    expect(achievementPercentage("higher_better", 1, 3)).toBe(33.33);
    expect(achievementPercentage("lower_better", 3, 2)).toBe(66.67);
  });

  it("gives defined results for zero values, never NaN or Infinity", () => {
    expect(achievementPercentage("higher_better", 0, 0)).toBe(100);
    expect(achievementPercentage("higher_better", 5, 0)).toBe(100);
    expect(achievementPercentage("higher_better", -1, 0)).toBe(0);
    expect(achievementPercentage("higher_better", 0, 10)).toBe(0);
    expect(achievementPercentage("lower_better", 0, 10)).toBe(MAX_ACHIEVEMENT);
    expect(achievementPercentage("lower_better", 0, 0)).toBe(100);
    expect(achievementPercentage("lower_better", 10, 0)).toBe(0);
    expect(achievementPercentage("exact", 0, 0)).toBe(100);
    expect(achievementPercentage("exact", 1, 0)).toBe(0);
  });

  it("is null when the actual or target is missing or not finite", () => {
    expect(achievementPercentage("higher_better", null, 10)).toBeNull();
    expect(achievementPercentage("higher_better", 10, undefined)).toBeNull();
    expect(achievementPercentage("higher_better", Number.NaN, 10)).toBeNull();
    expect(achievementPercentage("lower_better", Number.POSITIVE_INFINITY, 10)).toBeNull();
  });

  it("is bounded to what the column holds", () => {
    expect(achievementPercentage("higher_better", 1_000_000, 1)).toBe(MAX_ACHIEVEMENT);
    expect(achievementPercentage("higher_better", -50, 100)).toBe(0);
  });
});
