import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors.js";
import { isKnownParameter, validateDataSource } from "../../src/modules/definition/data-source.validation.js";

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("validateDataSource", () => {
  it("normalises a manual source and defaults it when absent", () => {
    expect(validateDataSource("manual", undefined)).toEqual({ type: "manual" });
    expect(validateDataSource("manual", { allowed_range: { min: 1, max: 5 } })).toEqual({
      type: "manual",
      allowed_range: { min: 1, max: 5 },
    });
  });

  it("derives a query's parameters from the SQL when they are not listed", () => {
    const source = validateDataSource("query", { query: "SELECT COUNT(*)::int FROM t WHERE a = :user_id AND b < :end_date" });
    expect(source).toEqual({ type: "database", query: expect.any(String), parameters: ["user_id", "end_date"] });
  });

  it("does not mistake casts for parameters", () => {
    expect(() => validateDataSource("query", { query: "SELECT '1'::numeric WHERE x = :start_date::date" })).not.toThrow();
  });

  it("knows external id parameters per provider", () => {
    expect(isKnownParameter("external_id.intercom")).toBe(true);
    expect(isKnownParameter("external_id")).toBe(false);
    expect(isKnownParameter("password")).toBe(false);
  });

  it("names the path of a bad field inside formula inputs", () => {
    const error = refusal(() =>
      validateDataSource("formula", {
        formula: "a / b",
        inputs: [
          { variable: "a", source: { type: "kpi", kpiDefinitionId: 3 } },
          { variable: "b", source: { type: "database", query: "SELECT 1 WHERE x = :nope" } },
        ],
      }),
    );
    expect(error.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/^dataSource\.inputs\[1\]\.source\.query: uses unknown parameter :nope/);
  });

  it("refuses variables that are not names, and kpi inputs without a valid id", () => {
    expect(
      refusal(() =>
        validateDataSource("formula", {
          formula: "x",
          inputs: [{ variable: "1x", source: { type: "kpi", kpiDefinitionId: 1 } }],
        }),
      ).message,
    ).toMatch(/variable/);
    expect(
      refusal(() =>
        validateDataSource("formula", {
          formula: "x",
          inputs: [{ variable: "x", source: { type: "kpi", kpiDefinitionId: -1 } }],
        }),
      ).message,
    ).toMatch(/kpiDefinitionId/);
  });

  it("accepts each known API adapter with its required setting", () => {
    expect(validateDataSource("api", { type: "intercom", metric: "conversation_count" })).toMatchObject({ type: "intercom" });
    expect(validateDataSource("api", { type: "aircall", metric: "call_count" })).toMatchObject({ type: "aircall" });
    expect(validateDataSource("api", { type: "google_workspace", metric: "emails_sent" })).toMatchObject({
      type: "google_workspace",
    });
    expect(validateDataSource("api", { type: "http", url: "https://api.example.com/{user_id}" })).toMatchObject({ type: "http" });
    expect(refusal(() => validateDataSource("api", { type: "http", url: "https://x", filters: "no" })).message).toMatch(
      /filters/,
    );
  });
});
