import type pg from "pg";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Longest operation name kept as a label value; longer ones are cut. */
const OPERATION_LABEL_LENGTH = 64;
/** Distinct operation labels kept; operations first seen after that are counted as "other". */
const OPERATION_LABEL_LIMIT = 200;
/** A scrape does not wait longer than this for the job queue's depth. */
const COLLECT_TIMEOUT_MS = 2_000;

export interface ExportRecorder {
  addRows(count: number): void;
  /** completed; aborted: the client left before the end; failed: our error. */
  end(outcome: "completed" | "aborted" | "failed"): void;
}

/**
 * The server's Prometheus metrics, in a registry of their own rather than prom-client's global one:
 * tests start several servers in one process, and each must count only its own requests. Gauges are
 * read when Prometheus scrapes, from callbacks; a failing callback (the database is down) leaves its
 * gauge without a value for that scrape and counts the failure, and the rest of the scrape answers.
 */
export class Metrics {
  readonly registry: Registry = new Registry();

  private readonly graphqlDuration: Histogram<"operation" | "outcome">;
  private readonly calculations: Counter<"type" | "adapter" | "outcome">;
  private readonly externalRequests: Counter<"adapter" | "status">;
  private readonly externalDuration: Histogram<"adapter">;
  private readonly rateLimited: Counter<"adapter">;
  private readonly runDuration: Histogram<"trigger" | "status">;
  private readonly collectFailures: Counter<"gauge">;
  private readonly exportsInProgress: Gauge<"format">;
  private readonly exports: Counter<"format" | "outcome">;
  private readonly exportRows: Counter<"format">;
  private readonly operations = new Set<string>();
  private readonly pools = new Map<string, pg.Pool>();
  private jobQueueDepth?: () => Promise<{ queued: number; running: number }>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.graphqlDuration = new Histogram({
      name: "kpi_graphql_request_duration_seconds",
      help: "GraphQL operations by operation name and outcome (error: the response has errors)",
      labelNames: ["operation", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.calculations = new Counter({
      name: "kpi_calculations_total",
      help: "KPI calculation results by calculation type, adapter and outcome",
      labelNames: ["type", "adapter", "outcome"],
      registers,
    });
    this.externalRequests = new Counter({
      name: "kpi_external_api_requests_total",
      help: "HTTP requests (each attempt) of the adapters to their APIs, by HTTP status or error",
      labelNames: ["adapter", "status"],
      registers,
    });
    this.externalDuration = new Histogram({
      name: "kpi_external_api_request_duration_seconds",
      help: "Latency of each attempt of an adapter's HTTP request, until the response headers or the failure",
      labelNames: ["adapter"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rateLimited = new Counter({
      name: "kpi_external_api_rate_limited_total",
      help: "HTTP 429 answers the adapters received",
      labelNames: ["adapter"],
      registers,
    });
    this.runDuration = new Histogram({
      name: "kpi_calculation_run_duration_seconds",
      help: "Calculation runs by trigger and final status",
      labelNames: ["trigger", "status"],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.collectFailures = new Counter({
      name: "kpi_metrics_collect_failures_total",
      // Counted while the scrape that failed is being written, so it shows from the next scrape on.
      help: "Scrapes in which a gauge could not be read (it then had no value)",
      labelNames: ["gauge"],
      registers,
    });
    this.exportsInProgress = new Gauge({
      name: "kpi_exports_in_progress",
      help: "Downloads of GET /exports/... being streamed",
      labelNames: ["format"],
      registers,
    });
    this.exports = new Counter({
      name: "kpi_exports_total",
      help: "Finished downloads of GET /exports/... by format and outcome (aborted: the client left before the end)",
      labelNames: ["format", "outcome"],
      registers,
    });
    this.exportRows = new Counter({
      name: "kpi_export_rows_total",
      help: "Measurement rows written by downloads of GET /exports/...",
      labelNames: ["format"],
      registers,
    });

    const jobQueue: Gauge<"state"> = new Gauge({
      name: "kpi_job_queue_depth",
      help: "Jobs due (queued) or running",
      labelNames: ["state"],
      registers,
      collect: () => this.readJobQueue(jobQueue),
    });
    const pools: Gauge<"pool" | "state"> = new Gauge({
      name: "kpi_db_pool_connections",
      help: "Clients of a database pool (total, idle) and queries waiting for one (waiting)",
      labelNames: ["pool", "state"],
      registers,
      collect: () => this.readPools(pools),
    });
  }

  /** GraphQL request duration per operation name ("anonymous" when none) and outcome. */
  observeGraphqlRequest(operationName: string | null, seconds: number, outcome: "ok" | "error"): void {
    this.graphqlDuration.observe({ operation: this.operationLabel(operationName), outcome }, seconds);
  }

  /** One calculation result per calculation type ("query" | "formula" | "api") and adapter ("intercom", "aircall", "google_workspace", "http", or "none"). outcome: "succeeded" | "undefined" | "skipped" | "failed". */
  countCalculation(calculationType: string, adapter: string, outcome: "succeeded" | "undefined" | "skipped" | "failed"): void {
    this.calculations.inc({ type: calculationType, adapter, outcome });
  }

  /** One HTTP request (attempt) of an adapter to its external API: latency, status ("429", "500", …, or "error" for network/timeout); 429s are also counted in their own counter. */
  observeExternalCall(adapter: string, seconds: number, status: number | "error"): void {
    this.externalRequests.inc({ adapter, status: String(status) });
    this.externalDuration.observe({ adapter }, seconds);
    if (status === 429) this.rateLimited.inc({ adapter });
  }

  /** A calculation run's end: trigger ("schedule:monthly", "manual", "webhook", "backfill", …), final status ("succeeded" | "partial" | "failed"), duration. */
  observeRun(trigger: string, status: string, seconds: number): void {
    this.runDuration.observe({ trigger, status }, seconds);
  }

  /** An export download's start ("csv" | "xlsx"): count its rows as they are read, then record how it ended. */
  startExport(format: string): ExportRecorder {
    this.exportsInProgress.inc({ format });
    return {
      addRows: (count) => this.exportRows.inc({ format }, count),
      end: (outcome) => {
        this.exportsInProgress.dec({ format });
        this.exports.inc({ format, outcome });
      },
    };
  }

  /** Gauges read at scrape time: job queue depth (jobs due or running) from the given async function. */
  watchJobQueue(depth: () => Promise<{ queued: number; running: number }>): void {
    this.jobQueueDepth = depth;
  }

  /** Gauges of a pg.Pool read at scrape time: total, idle and waiting clients, labelled with `name`. */
  watchPool(name: string, pool: pg.Pool): void {
    this.pools.set(name, pool);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async readJobQueue(gauge: Gauge<"state">): Promise<void> {
    if (!this.jobQueueDepth) return;
    try {
      const { queued, running } = await withTimeout(this.jobQueueDepth(), COLLECT_TIMEOUT_MS);
      gauge.set({ state: "queued" }, queued);
      gauge.set({ state: "running" }, running);
    } catch {
      // Not logged: the error may quote a connection string. Last scrape's values go too, so a
      // dashboard shows a gap rather than a stale depth.
      gauge.reset();
      this.collectFailures.inc({ gauge: "kpi_job_queue_depth" });
    }
  }

  private readPools(gauge: Gauge<"pool" | "state">): void {
    gauge.reset();
    for (const [name, pool] of this.pools) {
      try {
        gauge.set({ pool: name, state: "total" }, pool.totalCount);
        gauge.set({ pool: name, state: "idle" }, pool.idleCount);
        gauge.set({ pool: name, state: "waiting" }, pool.waitingCount);
      } catch {
        this.collectFailures.inc({ gauge: "kpi_db_pool_connections" });
      }
    }
  }

  /**
   * Operation names are chosen by clients, and every distinct label value is a time series that
   * Prometheus keeps (and this registry holds in memory) for good: unbounded, a client sending random
   * names could exhaust both. So names are cut to 64 characters, and once 200 distinct ones have been
   * seen, new ones are counted together as "other". Real clients use a few dozen fixed names.
   */
  private operationLabel(operationName: string | null): string {
    if (!operationName) return "anonymous";
    const label = operationName.slice(0, OPERATION_LABEL_LENGTH);
    if (this.operations.has(label)) return label;
    if (this.operations.size >= OPERATION_LABEL_LIMIT) return "other";
    this.operations.add(label);
    return label;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
