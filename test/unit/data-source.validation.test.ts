import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors.js";
import { isKnownParameter } from "../../src/engine/query/named-parameters.js";
import { validateDataSource } from "../../src/modules/definition/data-source.validation.js";

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
    expect(validateDataSource("api", { type: "google_workspace", metric: "gmail:num_emails_sent" })).toMatchObject({
      type: "google_workspace",
    });
    expect(
      validateDataSource("api", { type: "http", url: "https://api.example.com/{user_id}", select: "data.total" }),
    ).toMatchObject({ type: "http" });
    expect(refusal(() => validateDataSource("api", { type: "http", url: "https://x", filters: "no" })).message).toMatch(
      /filters/,
    );
  });

  it("accepts the design's Example 2 and fully specified sources of every adapter", () => {
    const example2 = {
      type: "intercom",
      endpoint: "conversations",
      metric: "first_response_time",
      filters: { assignee_id: ":user_id", created_at_after: ":start_date", created_at_before: ":end_date" },
    };
    expect(validateDataSource("api", example2)).toEqual(example2);
    expect(() =>
      validateDataSource("api", {
        type: "aircall",
        metric: "average_duration",
        filters: { user_id: ":user_id", from: ":start_date", to: ":end_date" },
      }),
    ).not.toThrow();
    expect(() =>
      validateDataSource("api", { type: "google_workspace", metric: "accounts:used_quota_in_mb", aggregate: "latest" }),
    ).not.toThrow();
    for (const aggregate of ["value", "sum", "avg", "count", "min", "max"])
      expect(() =>
        validateDataSource("api", {
          type: "http",
          url: "https://crm.example.com/users/{external_id.crm}/deals?from={start_date}&to={end_date}&u={user_id}",
          method: "get",
          headers: { Authorization: "Bearer {secret:CRM}", Accept: "application/json" },
          select: "deals[?status == 'won'].amount",
          aggregate,
        }),
      ).not.toThrow();
    // Also inside a formula input.
    expect(() => validateDataSource("formula", { formula: "a", inputs: [{ variable: "a", source: example2 }] })).not.toThrow();
  });

  const http = { type: "http", url: "https://api.example.com/{user_id}", select: "total" };
  it.each([
    [
      "an unknown intercom metric",
      { type: "intercom", metric: "nps" },
      "dataSource.metric",
      /must be one of conversation_count, closed_count, first_response_time/,
    ],
    ["a missing intercom metric", { type: "intercom" }, "dataSource.metric", /must be one of conversation_count/],
    [
      "an unknown intercom endpoint",
      { type: "intercom", endpoint: "tickets", metric: "closed_count" },
      "dataSource.endpoint",
      /must be one of conversations/,
    ],
    [
      "an unknown intercom filter",
      { type: "intercom", metric: "closed_count", filters: { team_id: "3" } },
      "dataSource.filters.team_id",
      /is not a supported filter \(known: assignee_id, admin_assignee_id, created_at_after, created_at_before\)/,
    ],
    [
      "an intercom filter with another value",
      { type: "intercom", metric: "closed_count", filters: { assignee_id: "42" } },
      "dataSource.filters.assignee_id",
      /must be ":user_id"/,
    ],
    [
      "intercom filters that are no object",
      { type: "intercom", metric: "closed_count", filters: [] },
      "dataSource.filters",
      /JSON object/,
    ],
    [
      "an unknown intercom setting",
      { type: "intercom", metric: "closed_count", team: 3 },
      "dataSource.team",
      /is not a setting of this adapter/,
    ],
    [
      "an unknown aircall metric",
      { type: "aircall", metric: "calls" },
      "dataSource.metric",
      /must be one of call_count, inbound_count/,
    ],
    [
      "an unknown aircall filter",
      { type: "aircall", metric: "call_count", filters: { number_id: "1" } },
      "dataSource.filters.number_id",
      /is not a supported filter/,
    ],
    [
      "an aircall filter with another value",
      { type: "aircall", metric: "call_count", filters: { from: ":end_date" } },
      "dataSource.filters.from",
      /must be ":start_date"/,
    ],
    [
      "a google metric that is no Reports API parameter",
      { type: "google_workspace", metric: "emails_sent" },
      "dataSource.metric",
      /Reports API parameter/,
    ],
    [
      "an unknown google aggregate",
      { type: "google_workspace", metric: "gmail:num_emails_sent", aggregate: "median" },
      "dataSource.aggregate",
      /must be one of sum, avg, max, latest/,
    ],
    [
      "an unknown google setting",
      { type: "google_workspace", metric: "gmail:num_emails_sent", filters: {} },
      "dataSource.filters",
      /is not a setting/,
    ],
    ["a missing http url", { type: "http", select: "x" }, "dataSource.url", /is required/],
    ["a non-http url", { ...http, url: "file:///etc/passwd" }, "dataSource.url", /http:\/\/ or https:\/\//],
    ["an http url that does not parse", { ...http, url: "https://exa mple.com/" }, "dataSource.url", /not a valid URL/],
    [
      "an unknown url placeholder",
      { ...http, url: "https://x.example.com/{password}" },
      "dataSource.url",
      /unknown placeholder \{password\}/,
    ],
    [
      "a secret in the url",
      { ...http, url: "https://x.example.com/?k={secret:CRM}" },
      "dataSource.url",
      /secrets may only be used in headers/,
    ],
    ["an http method other than GET", { ...http, method: "POST" }, "dataSource.method", /must be one of GET/],
    ["headers that are no object", { ...http, headers: "x" }, "dataSource.headers", /JSON object/],
    ["a header that is no string", { ...http, headers: { "x-n": 1 } }, "dataSource.headers.x-n", /must be a string/],
    ["an unknown header placeholder", { ...http, headers: { "x-n": "{nope}" } }, "dataSource.headers.x-n", /unknown placeholder/],
    [
      "a missing select",
      { type: "http", url: "https://x.example.com" },
      "dataSource.select",
      /is required: a JMESPath expression/,
    ],
    [
      "a select that is no JMESPath",
      { ...http, select: "deals[.amount" },
      "dataSource.select",
      /is not a valid JMESPath expression/,
    ],
    [
      "an unknown http aggregate",
      { ...http, aggregate: "median" },
      "dataSource.aggregate",
      /must be one of value, sum, avg, count, min, max/,
    ],
    ["an unknown http setting", { ...http, body: "{}" }, "dataSource.body", /is not a setting of this adapter/],
  ])("refuses %s, naming the field", (_, source, field, message) => {
    const error = refusal(() => validateDataSource("api", source));
    expect(error.code).toBe("BAD_USER_INPUT");
    expect(error.details).toEqual({ field });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it("names the path of a bad adapter setting inside formula inputs", () => {
    const error = refusal(() =>
      validateDataSource("formula", {
        formula: "a",
        inputs: [{ variable: "a", source: { type: "aircall", metric: "call_count", filters: { to: ":start_date" } } }],
      }),
    );
    expect(error.message).toBe('dataSource.inputs[0].source.filters.to: must be ":end_date"');
  });
});
