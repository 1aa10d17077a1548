import type { LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AircallAdapter } from "../../src/engine/adapters/aircall.adapter.js";
import { GoogleWorkspaceAdapter, serviceAccountToken } from "../../src/engine/adapters/google-workspace.adapter.js";
import { HttpJsonAdapter } from "../../src/engine/adapters/http.adapter.js";
import { midnightUnix } from "../../src/engine/adapters/http-client.js";
import { IntercomAdapter } from "../../src/engine/adapters/intercom.adapter.js";
import { CalculationError, type CalculationSubject } from "../../src/engine/outcome.js";
import { PUBLIC_ONLY, type OutboundPolicy } from "../../src/lib/outbound-policy.js";
import { CalculationWorld, lastMonth } from "../helpers/calculation.js";
import { FakeApi, json, type Handler } from "../helpers/fake-api.js";
import { startServerWithRoles } from "../helpers/roles.js";

/**
 * The data-source adapters against fake APIs on 127.0.0.1 answering with the documented payload
 * shapes (the HTTP boundary is the one thing faked): pagination, rate limits, transient failures,
 * timeouts, malformed bodies, credentials. Then one API definition end to end through GraphQL.
 */

/** Answers each request with the next response of a script, then the last one. */
function script(...steps: Handler[]): Handler {
  let i = 0;
  return (request, response) => steps[Math.min(i++, steps.length - 1)]!(request, response);
}

const TOKEN = "intercom-secret-token";
const PERIOD = { start: "2026-03-01", end: "2026-04-01" };
const FROM = Date.parse("2026-03-01T00:00:00Z") / 1000;
const TO = Date.parse("2026-04-01T00:00:00Z") / 1000;
const subject = (externalIds: Record<string, string> = { intercom: "42", aircall: "7" }): CalculationSubject => ({
  userId: 12,
  period: PERIOD,
  externalIds,
});
const fast = { timeoutMs: 2_000, backoffBaseMs: 10, maxDelayMs: 2_000 };

let api: FakeApi;
beforeAll(async () => {
  api = new FakeApi();
  await api.start();
});
afterAll(() => api?.stop());

const conversation = (id: number, seconds: number | null, state = "closed") => ({
  type: "conversation",
  id: String(id),
  created_at: FROM + id * 60,
  state,
  admin_assignee_id: 42,
  statistics: { type: "conversation_statistics", time_to_admin_reply: seconds },
});

/** Intercom's search: three pages of conversations by cursor. */
const intercomPages: Handler = (request, response) => {
  const cursor = request.body?.pagination?.starting_after;
  const pages: Record<string, { conversations: unknown[]; next?: string }> = {
    first: { conversations: [conversation(1, 60), conversation(2, 180)], next: "c2" },
    c2: { conversations: [conversation(3, 600, "open"), conversation(4, null, "open")], next: "c3" },
    c3: { conversations: [conversation(5, 360)] },
  };
  const page = pages[cursor ?? "first"]!;
  json(response, {
    type: "conversation.list",
    conversations: page.conversations,
    total_count: 5,
    pages: {
      type: "pages",
      page: 1,
      per_page: 2,
      total_pages: 3,
      ...(page.next ? { next: { per_page: 2, starting_after: page.next } } : {}),
    },
  });
};

const intercom = (overrides: Partial<ConstructorParameters<typeof IntercomAdapter>[0]> = {}) =>
  new IntercomAdapter({ baseUrl: api.url, accessToken: TOKEN, timeZone: "UTC", perPage: 2, ...fast, ...overrides });
const EXAMPLE_2 = {
  type: "intercom",
  endpoint: "conversations",
  metric: "first_response_time",
  filters: { assignee_id: ":user_id", created_at_after: ":start_date", created_at_before: ":end_date" },
};

describe("Intercom", () => {
  it("averages the first response time in minutes over every page (the design's Example 2)", async () => {
    api.reset(intercomPages);
    const result = await intercom().fetch(EXAMPLE_2, subject());
    // 1, 3, 10 and 6 minutes; the conversation without a reply does not count.
    expect(result).toMatchObject({ kind: "value", value: 5 });
    expect(result.metadata).toMatchObject({
      source: "intercom",
      adapter: "intercom",
      metric: "first_response_time",
      records: 5,
      pages: 3,
    });
    expect(result.metadata.fetched_at).toEqual(expect.any(String));
    expect(result.metadata.duration_ms).toEqual(expect.any(Number));
    expect(JSON.stringify(result.metadata)).not.toContain(TOKEN);
    expect(api.requests).toHaveLength(3);
    const [first, second] = api.requests;
    expect(first!.method).toBe("POST");
    expect(first!.url.pathname).toBe("/conversations/search");
    expect(first!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(first!.headers["intercom-version"]).toBe("2.11");
    expect(first!.body).toEqual({
      query: {
        operator: "AND",
        value: [
          { field: "admin_assignee_id", operator: "=", value: 42 },
          { field: "created_at", operator: ">", value: FROM - 1 },
          { field: "created_at", operator: "<", value: TO },
        ],
      },
      pagination: { per_page: 2 },
    });
    expect(second!.body.pagination).toEqual({ per_page: 2, starting_after: "c2" });
  });

  it("computes the counts and the median", async () => {
    api.reset(intercomPages);
    const adapter = intercom();
    expect(await adapter.fetch({ type: "intercom", metric: "conversation_count" }, subject())).toMatchObject({
      kind: "value",
      value: 5,
    });
    expect(await adapter.fetch({ type: "intercom", metric: "closed_count" }, subject())).toMatchObject({
      kind: "value",
      value: 3,
    });
    expect(await adapter.fetch({ type: "intercom", metric: "median_first_response_time" }, subject())).toMatchObject({
      kind: "value",
      value: 4.5,
    });
  });

  it("gives undefined times and zero counts for a period without conversations", async () => {
    api.reset((_, response) =>
      json(response, { type: "conversation.list", conversations: [], total_count: 0, pages: { type: "pages" } }),
    );
    expect(await intercom().fetch(EXAMPLE_2, subject())).toMatchObject({
      kind: "undefined",
      reason: "no conversations in the period",
    });
    expect(await intercom().fetch({ type: "intercom", metric: "conversation_count" }, subject())).toMatchObject({
      kind: "value",
      value: 0,
    });
  });

  it("starts the period at midnight in the organisation's time zone", async () => {
    api.reset(intercomPages);
    await intercom({ timeZone: "Europe/Paris" }).fetch({ type: "intercom", metric: "conversation_count" }, subject());
    const range = api.requests[0]!.body.query.value;
    expect(range[1].value).toBe(FROM - 3600 - 1); // CET is UTC+1 on March 1st
    expect(range[2].value).toBe(TO - 7200); // CEST is UTC+2 on April 1st
    expect(midnightUnix("2026-07-01", "America/New_York")).toBe(Date.parse("2026-07-01T04:00:00Z") / 1000);
  });

  it("waits for Retry-After on 429, then succeeds", async () => {
    api.reset(script((_, response) => json(response, { type: "error.list" }, 429, { "retry-after": "1" }), intercomPages));
    const started = Date.now();
    const result = await intercom().fetch({ type: "intercom", metric: "conversation_count" }, subject());
    expect(result).toMatchObject({ kind: "value", value: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(api.requests).toHaveLength(4); // the refused one, then three pages
  });

  it("takes Retry-After as an HTTP date too, and caps long waits", async () => {
    api.reset(
      script(
        (_, response) => json(response, {}, 429, { "retry-after": new Date(Date.now() + 1_000).toUTCString() }),
        (_, response) => json(response, {}, 503, { "retry-after": "3600" }),
        intercomPages,
      ),
    );
    const started = Date.now();
    const result = await intercom({ maxDelayMs: 300 }).fetch({ type: "intercom", metric: "conversation_count" }, subject());
    expect(result).toMatchObject({ value: 5 });
    expect(Date.now() - started).toBeLessThan(2_000); // an hour and a second, each capped at 300 ms
    expect(api.requests).toHaveLength(5);
  });

  it("retries a 500, then succeeds", async () => {
    api.reset(script((_, response) => json(response, { type: "error.list" }, 500), intercomPages));
    expect(await intercom().fetch({ type: "intercom", metric: "conversation_count" }, subject())).toMatchObject({ value: 5 });
    expect(api.requests).toHaveLength(4);
  });

  it("retries a dropped connection, then succeeds", async () => {
    api.reset(script((_, response) => response.socket?.destroy(), intercomPages));
    expect(await intercom().fetch({ type: "intercom", metric: "conversation_count" }, subject())).toMatchObject({ value: 5 });
    expect(api.requests).toHaveLength(4);
  });

  it("gives up after three attempts at a failing server", async () => {
    api.reset((_, response) => json(response, {}, 502));
    await expect(intercom().fetch(EXAMPLE_2, subject())).rejects.toThrow("Intercom answered HTTP 502");
    expect(api.requests).toHaveLength(3);
  });

  it("times out a server that never answers, retrying within bounds", async () => {
    api.reset(() => undefined);
    const error = await intercom({ timeoutMs: 200, attempts: 2 })
      .fetch(EXAMPLE_2, subject())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalculationError);
    expect((error as Error).message).toBe("Intercom did not answer within 200 ms");
    expect(api.requests).toHaveLength(2);
  });

  it("refuses malformed JSON", async () => {
    api.reset((_, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"conversations": [');
    });
    await expect(intercom().fetch(EXAMPLE_2, subject())).rejects.toThrow("Intercom returned malformed JSON");
    expect(api.requests).toHaveLength(1);
  });

  it("does not retry a 401 and names the status, never the token", async () => {
    api.reset((_, response) => json(response, { type: "error.list", errors: [{ code: "unauthorized" }] }, 401));
    const error = (await intercom()
      .fetch(EXAMPLE_2, subject())
      .catch((e: unknown) => e)) as CalculationError;
    expect(error.message).toBe("Intercom answered HTTP 401 (check the credentials)");
    expect(error.details).toMatchObject({ status: 401 });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(TOKEN);
    expect(api.requests).toHaveLength(1);
  });

  it("refuses unknown metrics and filters, and reports a missing token", async () => {
    await expect(intercom().fetch({ type: "intercom", metric: "nps" }, subject())).rejects.toThrow(
      'unknown intercom metric "nps"',
    );
    await expect(intercom().fetch({ ...EXAMPLE_2, filters: { team_id: "3" } }, subject())).rejects.toThrow(
      'intercom filter "team_id"',
    );
    await expect(intercom({ accessToken: undefined }).fetch(EXAMPLE_2, subject())).rejects.toThrow("INTERCOM_ACCESS_TOKEN");
  });
});

const call = (
  id: number,
  userId: number,
  direction: string,
  answeredAt: number | null,
  duration: number,
  reason: string | null = null,
) => ({
  id,
  direction,
  status: "done",
  started_at: FROM + id * 60,
  answered_at: answeredAt,
  ended_at: FROM + id * 60 + duration,
  duration,
  missed_call_reason: reason,
  user: { id: userId, name: "Agent" },
});

/** Aircall's /v1/calls: three pages; calls of user 7 and of someone else. */
const aircallPages: Handler = (request, response) => {
  const page = Number(request.url.searchParams.get("page") ?? 1);
  const pages: Record<number, unknown[]> = {
    1: [call(1, 7, "inbound", FROM + 70, 120), call(2, 8, "inbound", FROM + 130, 999)],
    2: [call(3, 7, "inbound", null, 20, "no_available_agent"), call(4, 7, "outbound", FROM + 250, 60)],
    3: [call(5, 7, "outbound", null, 15)],
  };
  json(response, {
    calls: pages[page] ?? [],
    meta: {
      count: (pages[page] ?? []).length,
      total: 5,
      current_page: page,
      per_page: 2,
      next_page_link: page < 3 ? `https://api.aircall.io/v1/calls?page=${page + 1}&per_page=2` : null,
      previous_page_link: null,
    },
  });
};

const aircall = (overrides: Partial<ConstructorParameters<typeof AircallAdapter>[0]> = {}) =>
  new AircallAdapter({ baseUrl: api.url, apiId: "id", apiToken: "aircall-secret", timeZone: "UTC", ...fast, ...overrides });

describe("Aircall", () => {
  it("counts the user's calls over every page, with Basic auth", async () => {
    api.reset(aircallPages);
    const adapter = aircall();
    const metric = (name: string) => adapter.fetch({ type: "aircall", metric: name }, subject());
    expect(await metric("call_count")).toMatchObject({
      kind: "value",
      value: 4,
      metadata: { records: 4, pages: 3, calls_listed: 5 },
    });
    expect(api.requests).toHaveLength(3);
    const first = api.requests[0]!;
    expect(first.url.pathname).toBe("/v1/calls");
    expect(Object.fromEntries(first.url.searchParams)).toEqual({
      from: String(FROM),
      to: String(TO - 1),
      order: "asc",
      per_page: "50",
      page: "1",
    });
    expect(first.headers.authorization).toBe(`Basic ${Buffer.from("id:aircall-secret").toString("base64")}`);
    expect(await metric("inbound_count")).toMatchObject({ value: 2 });
    expect(await metric("outbound_count")).toMatchObject({ value: 2 });
    expect(await metric("answered_count")).toMatchObject({ value: 2 });
    expect(await metric("missed_count")).toMatchObject({ value: 1 });
    const average = await metric("average_duration");
    expect(average).toMatchObject({ kind: "value", value: 90 });
    expect(JSON.stringify(average.metadata)).not.toContain("aircall-secret");
  });

  it("has no average duration without answered calls", async () => {
    api.reset((_, response) => json(response, { calls: [], meta: { total: 0, next_page_link: null } }));
    expect(await aircall().fetch({ type: "aircall", metric: "average_duration" }, subject())).toMatchObject({
      kind: "undefined",
    });
    expect(await aircall().fetch({ type: "aircall", metric: "call_count" }, subject())).toMatchObject({
      kind: "value",
      value: 0,
    });
  });

  it("throttles requests to the company's rate limit", async () => {
    api.reset(aircallPages);
    const started = Date.now();
    // Aircall's 60 a minute, scaled down: 2 requests per 500 ms, so the third page waits.
    const adapter = aircall({ rateLimit: { limit: 2, intervalMs: 500 } });
    await adapter.fetch({ type: "aircall", metric: "call_count" }, subject());
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(api.requests).toHaveLength(3);
  });
});

/** The fake API listens on 127.0.0.1, which only an explicit OUTBOUND_ALLOWED_NETWORKS lets HTTP sources reach. */
const LOOPBACK_ALLOWED = { allowedNetworks: ["127.0.0.0/8"] };
const httpAdapter = (secrets: Record<string, string> = { CRM: "crm-secret" }, outbound: OutboundPolicy = LOOPBACK_ALLOWED) =>
  new HttpJsonAdapter({ secrets, outbound, ...fast });

/** A resolver that answers `address` for every name, as a DNS server under an attacker's control can at any moment. */
const resolvingTo =
  (address: string): LookupFunction =>
  (_hostname, options, callback) =>
    options.all
      ? (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, [{ address, family: 4 }])
      : callback(null, address, 4);

describe("HTTP JSON", () => {
  it("fills the URL template, sends named secrets in headers and aggregates the selection", async () => {
    api.reset((_, response) => json(response, { deals: [{ amount: 10 }, { amount: "2.5" }, { amount: 7.5 }] }));
    const source = {
      type: "http",
      url: `${api.url}/users/{user_id}/deals?from={start_date}&to={end_date}&owner={external_id.crm}`,
      headers: { Authorization: "Bearer {secret:crm}" },
      select: "deals[].amount",
      aggregate: "sum",
    };
    const result = await httpAdapter().fetch(source, subject({ crm: "a b/c" }));
    expect(result).toMatchObject({
      kind: "value",
      value: 20,
      metadata: { source: "http", records: 3, url: `${api.url}/users/12/deals` },
    });
    expect(JSON.stringify(result.metadata)).not.toContain("crm-secret");
    const request = api.requests[0]!;
    expect(request.headers.authorization).toBe("Bearer crm-secret");
    expect(request.url.pathname).toBe("/users/12/deals");
    expect(request.url.search).toBe("?from=2026-03-01&to=2026-04-01&owner=a%20b%2Fc");
    for (const [aggregate, value] of [
      ["avg", 20 / 3],
      ["count", 3],
      ["min", 2.5],
      ["max", 10],
    ] as const)
      expect(await httpAdapter().fetch({ ...source, aggregate }, subject({ crm: "x" }))).toMatchObject({ value });
  });

  it("takes a single value, and refuses several for aggregate value", async () => {
    api.reset((_, response) => json(response, { data: { total: 42 }, list: [1, 2] }));
    expect(await httpAdapter().fetch({ type: "http", url: `${api.url}/x`, select: "data.total" }, subject())).toMatchObject({
      value: 42,
    });
    await expect(httpAdapter().fetch({ type: "http", url: `${api.url}/x`, select: "list" }, subject())).rejects.toThrow(
      "exactly one",
    );
    await expect(
      httpAdapter().fetch({ type: "http", url: `${api.url}/x`, select: "list", aggregate: "median" }, subject()),
    ).rejects.toThrow('aggregate "median"');
  });

  it("skips users without the external id the URL needs, and refuses unknown secrets and non-http URLs", async () => {
    expect(await httpAdapter().fetch({ type: "http", url: `${api.url}/{external_id.crm}` }, subject())).toMatchObject({
      kind: "skipped",
      reason: "no crm id",
    });
    await expect(
      httpAdapter().fetch({ type: "http", url: `${api.url}/x`, headers: { "x-key": "{secret:nope}" } }, subject()),
    ).rejects.toThrow("HTTP_SECRET_NOPE");
    await expect(httpAdapter().fetch({ type: "http", url: `${api.url}/x?k={secret:crm}` }, subject())).rejects.toThrow("headers");
    await expect(httpAdapter().fetch({ type: "http", url: "file:///etc/passwd" }, subject())).rejects.toThrow(
      "http:// or https://",
    );
  });

  it("refuses, by default, to connect to loopback, private, link-local and metadata addresses, literal or resolved", async () => {
    api.reset((_, response) => json(response, { total: 1 }));
    const port = new URL(api.url).port;
    const publicOnly = httpAdapter({}, PUBLIC_ONLY);
    for (const url of [
      `${api.url}/total`,
      `http://localhost:${port}/total`,
      `http://[::ffff:127.0.0.1]:${port}/total`,
      `http://[::1]:${port}/total`,
      "http://169.254.169.254/latest/meta-data/",
      "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "http://10.0.0.1/",
      "http://0.0.0.0/",
    ])
      await expect(publicOnly.fetch({ type: "http", url, select: "total" }, subject()), url).rejects.toThrow(
        /could not be reached: refused to connect to .*OUTBOUND_ALLOWED_NETWORKS/,
      );
    expect(api.requests).toHaveLength(0);

    // A name checked when it was saved but resolving to this machine when connecting (DNS rebinding).
    const rebound = httpAdapter({}, { allowedNetworks: [], lookup: resolvingTo("127.0.0.1") });
    const source = { type: "http", url: `http://kpi-source.example.com:${port}/total`, select: "total" };
    await expect(rebound.fetch(source, subject())).rejects.toThrow("refused to connect to kpi-source.example.com");
    expect(api.requests).toHaveLength(0);

    // Allowed networks are reached, through the same resolver; others stay refused.
    const onPremises = httpAdapter({}, { allowedNetworks: ["127.0.0.0/8"], lookup: resolvingTo("127.0.0.1") });
    expect(await onPremises.fetch(source, subject())).toMatchObject({ kind: "value", value: 1 });
    await expect(onPremises.fetch({ type: "http", url: "http://169.254.169.254/latest/meta-data/" }, subject())).rejects.toThrow(
      "refused to connect to 169.254.169.254",
    );
  });

  it("refuses a redirect to an address outside the policy", async () => {
    api.reset((_, response) => response.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end());
    await expect(
      httpAdapter({}, { allowedNetworks: ["127.0.0.1"] }).fetch({ type: "http", url: `${api.url}/moved` }, subject()),
    ).rejects.toThrow("refused to connect to 169.254.169.254");
    // Each attempt (ky retries a network error) reached the fake API, and nothing beyond it.
    expect(api.requests.map((request) => request.url.pathname)).toContain("/moved");
    expect(api.requests.every((request) => request.url.pathname === "/moved")).toBe(true);
  });

  it("refuses malformed JSON and non-numeric selections", async () => {
    api.reset((_, response) => response.end("<html>"));
    await expect(httpAdapter().fetch({ type: "http", url: `${api.url}/x` }, subject())).rejects.toThrow(
      "returned malformed JSON",
    );
    api.reset((_, response) => json(response, { v: "n/a" }));
    await expect(httpAdapter().fetch({ type: "http", url: `${api.url}/x`, select: "v" }, subject())).rejects.toThrow(
      "not a number",
    );
  });
});

/** The Reports API's user usage: one report per day; March 2nd on two pages; no data yet on the 3rd. */
const googleUsage: Handler = (request, response) => {
  const day = request.url.pathname.split("/").pop()!;
  const metric = request.url.searchParams.get("parameters")!;
  const report = (value: number) => ({
    kind: "admin#reports#usageReport",
    date: day,
    entity: { type: "USER", userEmail: "ann@example.com", profileId: "1" },
    parameters: [{ name: metric, intValue: String(value) }],
  });
  if (day === "2026-03-03")
    return json(response, { kind: "admin#reports#usageReports", warnings: [{ code: "DATA_NOT_AVAILABLE", message: "not yet" }] });
  if (day === "2026-03-02" && !request.url.searchParams.get("pageToken"))
    return json(response, { kind: "admin#reports#usageReports", usageReports: [report(4)], nextPageToken: "p2" });
  json(response, { kind: "admin#reports#usageReports", usageReports: [report(day === "2026-03-01" ? 10 : 1)] });
};

describe("Google Workspace", () => {
  const google = (overrides: Partial<ConstructorParameters<typeof GoogleWorkspaceAdapter>[0]> = {}) =>
    new GoogleWorkspaceAdapter({ baseUrl: api.url, accessToken: async () => "google-token", ...fast, ...overrides });
  const threeDays: CalculationSubject = {
    userId: 12,
    period: { start: "2026-03-01", end: "2026-03-04" },
    externalIds: { google_workspace: "ann@example.com" },
  };

  it("sums the user's daily usage over the period, leaving out days without data", async () => {
    api.reset(googleUsage);
    const result = await google().fetch({ type: "google_workspace", metric: "gmail:num_emails_sent" }, threeDays);
    expect(result).toMatchObject({
      kind: "value",
      value: 15,
      metadata: {
        source: "google_workspace",
        metric: "gmail:num_emails_sent",
        records: 2,
        pages: 4,
        days: 3,
        days_without_data: 1,
      },
    });
    expect(JSON.stringify(result.metadata)).not.toContain("google-token");
    expect(api.requests).toHaveLength(4);
    const paths = api.requests.map((request) => request.url.pathname).sort();
    expect(paths[0]).toBe("/admin/reports/v1/usage/users/ann%40example.com/dates/2026-03-01");
    expect(api.requests.every((request) => request.headers.authorization === "Bearer google-token")).toBe(true);
    expect(api.requests.every((request) => request.url.searchParams.get("parameters") === "gmail:num_emails_sent")).toBe(true);
    expect(
      await google().fetch({ type: "google_workspace", metric: "gmail:num_emails_sent", aggregate: "latest" }, threeDays),
    ).toMatchObject({
      value: 5,
    });
  });

  it("does not ask for today and later, and is undefined without data", async () => {
    api.reset(googleUsage);
    const result = await google({ today: () => "2026-03-03" }).fetch(
      { type: "google_workspace", metric: "gmail:num_emails_sent" },
      threeDays,
    );
    expect(result).toMatchObject({ value: 15, metadata: { days: 2, days_without_data: 0 } });
    api.reset((_, response) =>
      json(response, { kind: "admin#reports#usageReports", warnings: [{ code: "DATA_NOT_AVAILABLE" }] }),
    );
    expect(await google().fetch({ type: "google_workspace", metric: "drive:num_items_created" }, threeDays)).toMatchObject({
      kind: "undefined",
    });
  });

  it("refuses bad metrics, a missing configuration and a file that is no service-account key", async () => {
    await expect(google().fetch({ type: "google_workspace", metric: "emails" }, threeDays)).rejects.toThrow(
      "Reports API parameter",
    );
    await expect(
      new GoogleWorkspaceAdapter({ baseUrl: api.url, ...fast }).fetch(
        { type: "google_workspace", metric: "gmail:num_emails_sent" },
        threeDays,
      ),
    ).rejects.toThrow("GOOGLE_SERVICE_ACCOUNT_FILE");
    await expect(serviceAccountToken(new URL("../../package.json", import.meta.url).pathname, undefined)()).rejects.toThrow(
      "is not a service-account key",
    );
  });
});

describe("an Intercom definition end to end", () => {
  let world: Awaited<ReturnType<typeof startServerWithRoles>>;
  afterAll(() => world?.server.stop());

  it("calculates the design's Example 2 through GraphQL", async () => {
    world = await startServerWithRoles({ INTERCOM_BASE_URL: api.url, INTERCOM_ACCESS_TOKEN: "t" });
    const { server, admin } = world;
    const calc = new CalculationWorld(server, admin);
    const user = world.world.users.user.id;
    const set = await server.gql(
      `mutation($userId: ID!, $externalId: String!) { setUserExternalId(userId: $userId, provider: "intercom", externalId: $externalId) { id } }`,
      { userId: String(user), externalId: "42" },
      admin,
    );
    expect(set.errors).toBeUndefined();
    const definition = await calc.create("API", EXAMPLE_2, { unit: "minutes", targetType: "LOWER_BETTER" });
    const userKpiId = await calc.assign(user, definition.id);
    api.reset(intercomPages);
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    expect(res.data!.calculateUserKpi).toMatchObject({ periodStart: lastMonth().start, actualValue: 5 });
    expect(res.data!.calculateUserKpi.calculationMetadata).toMatchObject({
      source: "intercom",
      metric: "first_response_time",
      pages: 3,
    });
    expect(JSON.stringify(res.data!.calculateUserKpi.calculationMetadata)).not.toContain('"t"');
    expect(api.requests).toHaveLength(3);
    expect(api.requests[0]!.headers.authorization).toBe("Bearer t");
    expect(api.requests[0]!.body.query.value[0]).toEqual({ field: "admin_assignee_id", operator: "=", value: 42 });
  });
});
