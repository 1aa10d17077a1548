import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpJsonAdapter } from "../../src/engine/adapters/http.adapter.js";
import { Metrics } from "../../src/observability/metrics.js";
import { definitionInput, PREVIEW } from "../helpers/calculation.js";
import { sampleValue } from "../helpers/exposition.js";
import { startServerWithRoles } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * GET /metrics of the real server: GraphQL operations and the database pool as Prometheus reads
 * them, the METRICS_TOKEN check, and an adapter's requests to a fake API on 127.0.0.1 (answering 429,
 * then 200) made through previewKpiDefinition.
 */

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

describe("GET /metrics with METRICS_TOKEN set", () => {
  let world: Awaited<ReturnType<typeof startServerWithRoles>>;
  let server: TestServer;
  let api: Server;
  let apiUrl: string;
  let apiRequests = 0;

  beforeAll(async () => {
    // 429 with Retry-After: 0 (the adapter retries at once), then the value.
    api = createServer((_req, res) => {
      apiRequests++;
      if (apiRequests === 1) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "0" }).end("{}");
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ total: 7 }));
      }
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    // Its HTTP source is a fake API on 127.0.0.1, which must be allowed explicitly.
    world = await startServerWithRoles({ METRICS_TOKEN, OUTBOUND_ALLOWED_NETWORKS: "127.0.0.1" });
    server = world.server;
  });
  afterAll(async () => {
    await world?.server.stop();
    api?.closeAllConnections();
    await new Promise((resolve) => api?.close(resolve));
  });

  const scrape = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });

  async function metricsText(): Promise<string> {
    const response = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    return response.text();
  }

  it("refuses a scrape without the token or with another one", async () => {
    for (const authorization of [
      undefined,
      "Bearer wrong-token",
      `Bearer ${METRICS_TOKEN}x`,
      `Basic ${METRICS_TOKEN}`,
      METRICS_TOKEN,
    ]) {
      const response = await scrape(authorization);
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
      const text = await response.text();
      expect(text).not.toContain("kpi_");
      expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    }
    // The scheme is case-insensitive (RFC 9110).
    expect((await scrape(`bearer ${METRICS_TOKEN}`)).status).toBe(200);
    const response = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("times GraphQL operations by name and outcome, and shows the pool's clients", async () => {
    const admin = world.admin;
    expect((await server.gql("query MetricsProbeMe { me { id } }", {}, admin)).errors).toBeUndefined();
    expect((await server.gql("query MetricsProbeMe { me { id } }", {}, admin)).errors).toBeUndefined();
    expect(
      (await server.gql("query MetricsProbeDenied { auditLog(limit: 1) { id } }", {}, world.world.tokens.user)).errors,
    ).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "FORBIDDEN" }) })]);
    const before = sampleValue(await metricsText(), "kpi_graphql_request_duration_seconds_count", {
      operation: "anonymous",
      outcome: "ok",
    });
    await server.gql("{ me { id } }", {}, admin);

    const text = await metricsText();
    const count = (operation: string, outcome: string) =>
      sampleValue(text, "kpi_graphql_request_duration_seconds_count", { operation, outcome });
    expect(count("MetricsProbeMe", "ok")).toBe(2);
    expect(count("MetricsProbeMe", "error")).toBeUndefined();
    expect(count("MetricsProbeDenied", "error")).toBe(1);
    expect(count("anonymous", "ok")).toBe((before ?? 0) + 1);
    expect(
      sampleValue(text, "kpi_graphql_request_duration_seconds_bucket", {
        operation: "MetricsProbeMe",
        outcome: "ok",
        le: "+Inf",
      }),
    ).toBe(2);

    const pool = (state: string) => sampleValue(text, "kpi_db_pool_connections", { pool: "main", state });
    expect(pool("total")).toBeGreaterThanOrEqual(1);
    expect(pool("total")).toBeLessThanOrEqual(5); // DATABASE_POOL_MAX of the test server
    expect(pool("idle")).toBeGreaterThanOrEqual(0);
    // At most the scrape's own job-queue read, which may be waiting for its connection while the pool is read.
    expect(pool("waiting")).toBeLessThanOrEqual(1);
    expect(text).toContain("# TYPE process_resident_memory_bytes gauge");
  });

  it("counts an adapter's attempts, its 429 on its own too", async () => {
    const source = { type: "http", url: `${apiUrl}/users/{user_id}/total`, select: "total", aggregate: "value" };
    const res = await server.gql(
      PREVIEW,
      { input: definitionInput("API", source), userId: String(world.world.users.user.id) },
      world.admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.previewKpiDefinition).toMatchObject({ outcome: "VALUE", value: 7 });
    expect(apiRequests).toBe(2);

    const text = await metricsText();
    expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "http", status: "429" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "http", status: "200" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_rate_limited_total", { adapter: "http" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_request_duration_seconds_count", { adapter: "http" })).toBe(2);
  });
});

describe("GET /metrics without METRICS_TOKEN", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it("answers anyone (it belongs on the internal network only), with this server's figures alone", async () => {
    await server.gql("query OpenProbe { __typename }");
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(sampleValue(text, "kpi_graphql_request_duration_seconds_count", { operation: "OpenProbe", outcome: "ok" })).toBe(1);
    // The other server's operations are in its own registry.
    expect(text).not.toContain("MetricsProbeMe");
    expect(server.running.metrics).toBeDefined();
  });
});

describe("an adapter's failed attempts", () => {
  it("counts a dropped connection and a timeout as error, each attempt once", async () => {
    let requests = 0;
    const api = createServer((req, res) => {
      requests++;
      if (requests === 1) req.socket.destroy();
      else if (requests === 2) setTimeout(() => res.writeHead(200).end("{}"), 1_000);
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ total: 1 }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    try {
      const metrics = new Metrics();
      const adapter = new HttpJsonAdapter({
        secrets: {},
        // The fake API is on 127.0.0.1, which HTTP sources may only reach when allowed.
        outbound: { allowedNetworks: ["127.0.0.1"] },
        timeoutMs: 200,
        backoffBaseMs: 10,
        maxDelayMs: 100,
        metrics,
      });
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/total`;
      const result = await adapter.fetch(
        { type: "http", url, select: "total" },
        { userId: 1, period: { start: "2026-03-01", end: "2026-04-01" }, externalIds: {} },
      );
      expect(result).toMatchObject({ kind: "value", value: 1 });
      const text = (await metrics.render()).body;
      expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "http", status: "error" })).toBe(2);
      expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "http", status: "200" })).toBe(1);
      expect(sampleValue(text, "kpi_external_api_request_duration_seconds_count", { adapter: "http" })).toBe(3);
      // The timed-out attempt counts until its timeout (0.2 s), not until the late answer (1 s).
      expect(sampleValue(text, "kpi_external_api_request_duration_seconds_sum", { adapter: "http" })).toBeLessThan(0.9);
      expect(sampleValue(text, "kpi_external_api_rate_limited_total", { adapter: "http" })).toBeUndefined();
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
