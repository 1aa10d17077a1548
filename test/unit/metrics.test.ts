import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { sampleValue } from "../helpers/exposition.js";

/** The Metrics class through what Prometheus would read: its exposition text. */

const body = async (metrics: Metrics) => (await metrics.render()).body;

describe("Metrics", () => {
  it("renders the Prometheus text format with the process's default metrics", async () => {
    const metrics = new Metrics();
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(body).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
    expect(body).toContain("# TYPE kpi_graphql_request_duration_seconds histogram");
  });

  it("keeps each instance's figures apart (several servers run in one test process)", async () => {
    const first = new Metrics();
    const second = new Metrics();
    first.observeGraphqlRequest("Mine", 0.01, "ok");
    expect(
      sampleValue(await body(first), "kpi_graphql_request_duration_seconds_count", { operation: "Mine", outcome: "ok" }),
    ).toBe(1);
    expect(await body(second)).not.toContain('operation="Mine"');
  });

  it("times GraphQL operations by name and outcome, anonymous ones as anonymous", async () => {
    const metrics = new Metrics();
    metrics.observeGraphqlRequest("TeamDashboard", 0.02, "ok");
    metrics.observeGraphqlRequest("TeamDashboard", 0.2, "ok");
    metrics.observeGraphqlRequest("TeamDashboard", 0.03, "error");
    metrics.observeGraphqlRequest(null, 0.001, "ok");
    metrics.observeGraphqlRequest("", 0.001, "ok");
    const text = await body(metrics);
    const name = "kpi_graphql_request_duration_seconds";
    expect(sampleValue(text, `${name}_count`, { operation: "TeamDashboard", outcome: "ok" })).toBe(2);
    expect(sampleValue(text, `${name}_sum`, { operation: "TeamDashboard", outcome: "ok" })).toBeCloseTo(0.22);
    expect(sampleValue(text, `${name}_bucket`, { operation: "TeamDashboard", outcome: "ok", le: "0.025" })).toBe(1);
    expect(sampleValue(text, `${name}_bucket`, { operation: "TeamDashboard", outcome: "ok", le: "+Inf" })).toBe(2);
    expect(sampleValue(text, `${name}_count`, { operation: "TeamDashboard", outcome: "error" })).toBe(1);
    expect(sampleValue(text, `${name}_count`, { operation: "anonymous", outcome: "ok" })).toBe(2);
  });

  it("cuts operation names to 64 characters and counts names beyond the 200th as other", async () => {
    const metrics = new Metrics();
    metrics.observeGraphqlRequest("A".repeat(100), 0.01, "ok");
    for (let i = 1; i < 250; i++) metrics.observeGraphqlRequest(`Operation${i}`, 0.01, "ok");
    // Names seen before the cap keep their own label.
    metrics.observeGraphqlRequest("Operation1", 0.01, "ok");
    const text = await body(metrics);
    const name = "kpi_graphql_request_duration_seconds_count";
    expect(sampleValue(text, name, { operation: "A".repeat(64), outcome: "ok" })).toBe(1);
    expect(text).not.toContain("A".repeat(65));
    expect(sampleValue(text, name, { operation: "Operation1", outcome: "ok" })).toBe(2);
    expect(sampleValue(text, name, { operation: "Operation199", outcome: "ok" })).toBe(1);
    expect(sampleValue(text, name, { operation: "Operation200", outcome: "ok" })).toBeUndefined();
    expect(sampleValue(text, name, { operation: "other", outcome: "ok" })).toBe(50);
    const operations = new Set(
      [...text.matchAll(/^kpi_graphql_request_duration_seconds_count\{operation="([^"]*)"/gm)].map((m) => m[1]),
    );
    expect(operations.size).toBe(201);
  });

  it("counts calculations, external calls (429s on their own too) and runs", async () => {
    const metrics = new Metrics();
    metrics.countCalculation("api", "intercom", "succeeded");
    metrics.countCalculation("api", "intercom", "succeeded");
    metrics.countCalculation("query", "none", "undefined");
    metrics.observeExternalCall("aircall", 0.3, 429);
    metrics.observeExternalCall("aircall", 0.4, 200);
    metrics.observeExternalCall("aircall", 10, "error");
    metrics.observeRun("schedule:monthly", "partial", 42);
    const text = await body(metrics);
    expect(sampleValue(text, "kpi_calculations_total", { type: "api", adapter: "intercom", outcome: "succeeded" })).toBe(2);
    expect(sampleValue(text, "kpi_calculations_total", { type: "query", adapter: "none", outcome: "undefined" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "aircall", status: "429" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "aircall", status: "200" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_requests_total", { adapter: "aircall", status: "error" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_rate_limited_total", { adapter: "aircall" })).toBe(1);
    expect(sampleValue(text, "kpi_external_api_request_duration_seconds_count", { adapter: "aircall" })).toBe(3);
    expect(sampleValue(text, "kpi_external_api_request_duration_seconds_sum", { adapter: "aircall" })).toBeCloseTo(10.7);
    expect(
      sampleValue(text, "kpi_calculation_run_duration_seconds_count", { trigger: "schedule:monthly", status: "partial" }),
    ).toBe(1);
    expect(
      sampleValue(text, "kpi_calculation_run_duration_seconds_bucket", {
        trigger: "schedule:monthly",
        status: "partial",
        le: "60",
      }),
    ).toBe(1);
  });

  describe("gauges read at scrape time", () => {
    // A pool that never connects: its counts are all zero, which is what a fresh pool reports.
    const pool = new pg.Pool({ connectionString: "postgresql://nobody@127.0.0.1:1/none", max: 3 });
    afterAll(() => pool.end());

    it("reports a pool's total, idle and waiting clients under its name", async () => {
      const metrics = new Metrics();
      metrics.watchPool("main", pool);
      const text = await body(metrics);
      for (const state of ["total", "idle", "waiting"])
        expect(sampleValue(text, "kpi_db_pool_connections", { pool: "main", state })).toBe(0);
    });

    it("reports the job queue's depth from its callback, read at each scrape", async () => {
      const metrics = new Metrics();
      expect(sampleValue(await body(metrics), "kpi_job_queue_depth", { state: "queued" })).toBeUndefined();
      let queued = 3;
      metrics.watchJobQueue(async () => ({ queued, running: 1 }));
      let text = await body(metrics);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "queued" })).toBe(3);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "running" })).toBe(1);
      queued = 0;
      text = await body(metrics);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "queued" })).toBe(0);
    });

    it("leaves a gauge without a value when its callback fails, and the rest of the scrape answers", async () => {
      const metrics = new Metrics();
      metrics.watchPool("main", pool);
      metrics.observeGraphqlRequest("Still", 0.01, "ok");
      metrics.watchJobQueue(async () => ({ queued: 5, running: 2 }));
      expect(sampleValue(await body(metrics), "kpi_job_queue_depth", { state: "queued" })).toBe(5);

      metrics.watchJobQueue(async () => {
        throw new Error("connect ECONNREFUSED postgresql://kpi:secret@db/kpi");
      });
      let text = await body(metrics);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "queued" })).toBeUndefined();
      expect(text).not.toContain("secret");
      expect(sampleValue(text, "kpi_graphql_request_duration_seconds_count", { operation: "Still", outcome: "ok" })).toBe(1);
      expect(sampleValue(text, "kpi_db_pool_connections", { pool: "main", state: "total" })).toBe(0);
      // A failure is counted as its scrape is written: the next scrape shows it.
      metrics.watchJobQueue(async () => ({ queued: 4, running: 0 }));
      text = await body(metrics);
      expect(sampleValue(text, "kpi_metrics_collect_failures_total", { gauge: "kpi_job_queue_depth" })).toBe(1);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "queued" })).toBe(4);

      metrics.watchJobQueue(() => {
        throw new Error("thrown before any promise");
      });
      text = await body(metrics);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "queued" })).toBeUndefined();
      metrics.watchJobQueue(async () => ({ queued: 4, running: 0 }));
      expect(sampleValue(await body(metrics), "kpi_metrics_collect_failures_total", { gauge: "kpi_job_queue_depth" })).toBe(2);
    });

    it("does not wait more than two seconds for a callback that never answers", async () => {
      const metrics = new Metrics();
      metrics.watchJobQueue(() => new Promise(() => undefined));
      const started = Date.now();
      const text = await body(metrics);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(sampleValue(text, "kpi_job_queue_depth", { state: "queued" })).toBeUndefined();
      metrics.watchJobQueue(async () => ({ queued: 1, running: 0 }));
      expect(sampleValue(await body(metrics), "kpi_metrics_collect_failures_total", { gauge: "kpi_job_queue_depth" })).toBe(1);
    });
  });
});
