import { describe, expect, it } from "vitest";
import { validateRule } from "../../src/modules/alert/alert-rules.js";
import { AppError } from "../../src/lib/errors.js";

const refusal = (run: () => unknown): { field?: unknown; message: string } => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return { field: (error as AppError).details?.field, message: (error as Error).message };
  }
  throw new Error("not refused");
};

describe("validateRule", () => {
  it("fills in each kind's defaults", () => {
    expect(validateRule("below_target", {})).toEqual({
      threshold: 80,
      periods: 3,
      graceDays: null,
      category: null,
      kpiDefinitionId: null,
    });
    expect(validateRule("missing_measurement", { category: " support " })).toEqual({
      threshold: null,
      periods: null,
      graceDays: 0,
      category: "support",
      kpiDefinitionId: null,
    });
    expect(validateRule("score_drop", {})).toMatchObject({ threshold: 10, periods: null });
  });

  it("keeps given settings within their ranges", () => {
    expect(validateRule("below_target", { threshold: 95.5, periods: 24, kpiDefinitionId: 7 })).toMatchObject({
      threshold: 95.5,
      periods: 24,
      kpiDefinitionId: 7,
    });
    expect(validateRule("missing_measurement", { graceDays: 90 })).toMatchObject({ graceDays: 90 });
  });

  it("refuses out-of-range settings, naming the field", () => {
    expect(refusal(() => validateRule("below_target", { threshold: 0 })).field).toBe("threshold");
    expect(refusal(() => validateRule("below_target", { threshold: 1000 })).field).toBe("threshold");
    expect(refusal(() => validateRule("below_target", { periods: 0 })).field).toBe("periods");
    expect(refusal(() => validateRule("below_target", { periods: 2.5 })).field).toBe("periods");
    expect(refusal(() => validateRule("missing_measurement", { graceDays: -1 })).field).toBe("graceDays");
    expect(refusal(() => validateRule("score_drop", { threshold: Number.NaN })).field).toBe("threshold");
  });

  it("refuses settings the kind does not use, and two scopes at once", () => {
    expect(refusal(() => validateRule("below_target", { graceDays: 1 })).message).toMatch(/BELOW_TARGET rules have no graceDays/);
    expect(refusal(() => validateRule("missing_measurement", { periods: 2 })).field).toBe("periods");
    expect(refusal(() => validateRule("score_drop", { kpiDefinitionId: 3 })).field).toBe("kpiDefinitionId");
    expect(refusal(() => validateRule("below_target", { category: "a", kpiDefinitionId: 3 })).field).toBe("category");
  });
});
