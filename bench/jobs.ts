/**
 * Scheduler benchmark: one full monthly run of the calculation dataset (bench/calc-dataset.ts:
 * 10,000 users × 5 KPIs, 50,000 assignments) in a throw-away database (kpi_bench_jobs), three ways:
 *   1. the engine alone, as bench:calc runs it (calculateAssignments, 8 in flight, chunks of 1,000),
 *      before and after the others: the baseline is the mean of the two;
 *   2. one worker: a run made with createRun and queued with queueRun from this process (a
 *      queue-only CalculationJobs, as in an API replica with JOBS_ENABLED=false), calculated by
 *      CalculationJobs (createServices, as src/worker.ts builds it) in one child process;
 *   3. two workers: the same with two child processes, so that both can use both cores.
 * Each worker mode runs twice in the same processes: "fresh" (the JIT has optimised nothing yet)
 * and "warm" (as in a worker that has been up for a while). Every run starts from an empty
 * kpi_measurements (the previous rows deleted, the table vacuumed), so each does the full work.
 * Wall time runs from queueRun until the run's status is final (calculation_runs polled every
 * 20 ms); the snapshot job the run's end queues is timed apart. The run's counts and stored
 * measurements must match the engine's, else the script fails. CPU columns: the calculating Node
 * processes (process.cpuUsage) and the database's backends (/proc, when PostgreSQL is local), which
 * unlike wall time do not depend on what else the machine is running.
 *
 * Worker settings, as src/config reads them, each overridable by the same variable: the defaults a
 * site runs with. JOBS_BATCH_SIZE=1000, JOBS_CONCURRENCY=8 (calculations in flight per batch, two
 * batches per worker), DATABASE_POOL_MAX=10, and JOBS_PROCESS_EVERY_MS=5000: every job of a run
 * reaches the workers by LISTEN/NOTIFY, this process's queueRun included, so polling plays no part
 * in a run ("queued → planned" shows it); with 200 ms the figures are the same within the noise.
 * `npm run bench:jobs`; settings: BENCH_DATABASE_URL, BENCH_KEEP=1 (keeps the database),
 * BENCH_USERS (default 10,000), BENCH_WORKERS (worker counts to run, default "1,2"),
 * BENCH_CPU_PROF=<dir> (CPU profiles of the workers), BENCH_TRACE=1 (each worker prints its SQL
 * statements by kind, with counts and summed latency).
 */
import "reflect-metadata";
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { databaseCpuMs, databaseUrl, dropDatabase, onServer, SERVER_URL } from "./bench-database.js";
import { BENCH_SERVER_ENV } from "./bench-server.js";
import {
  ASSIGNMENTS,
  buildCalcDataset,
  calculateWithEngine,
  formatOutcomes,
  seconds as s,
  TIME_ZONE,
  type EngineRun,
} from "./calc-dataset.js";
import { loadConfig } from "../src/config/config.js";
import { createDb, createPool } from "../src/db/client.js";
import { JOB } from "../src/jobs/job-names.js";
import { createRun } from "../src/modules/run/run.store.js";
import { createLogger } from "../src/lib/logger.js";
import { latestCompletedPeriod, todayIn, type Period } from "../src/scoring/periods.js";
import { createServices } from "../src/services.js";

const DB_NAME = "kpi_bench_jobs";
const KEEP = process.env.BENCH_KEEP === "1";
const ENGINE = { concurrency: 8, chunk: 1000 };
const GOAL_PERCENT = 15;
/** How many worker processes each jobs mode runs, in order. */
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? "1,2").split(",").filter(Boolean).map(Number);
const WORKER_ENV: Record<string, string> = {
  NODE_ENV: "production",
  JWT_SECRET: BENCH_SERVER_ENV.JWT_SECRET,
  LOG_LEVEL: "warn",
  KPI_TIMEZONE: TIME_ZONE,
  DATABASE_URL: databaseUrl(DB_NAME),
  JOBS_BATCH_SIZE: process.env.JOBS_BATCH_SIZE ?? "1000",
  JOBS_CONCURRENCY: process.env.JOBS_CONCURRENCY ?? "8",
  JOBS_PROCESS_EVERY_MS: process.env.JOBS_PROCESS_EVERY_MS ?? "5000",
  DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? "10",
};

/** Child-process mode: a worker as src/worker.ts runs it, on the bench database (already migrated). */
async function work(): Promise<void> {
  const config = loadConfig(WORKER_ENV);
  const pool = createPool(config.database.url!, config.database.poolMax);
  const tally = process.env.BENCH_TRACE === "1" ? traceStatements(pool) : undefined;
  const log = createLogger(config.logLevel);
  const services = createServices(createDb(pool), config, { log, embedded: false });
  let batches = 0;
  services.jobs.agenda.on(`success:${JOB.batch}`, (_job: unknown, remote?: boolean) => {
    if (!remote) batches++;
  });
  await services.jobs.start();
  const cpu = process.cpuUsage();
  const cpuMs = () => {
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000;
  };
  const stop = async () => {
    await services.jobs.stop(10_000);
    await services.close();
    await pool.end();
    if (tally) printTally(tally);
    process.send!({ stopped: true }, () => process.exit(0)); // a clean exit writes the --cpu-prof profile
  };
  process.on("message", (message) => (message === "report" ? process.send!({ cpuMs: cpuMs(), batches }) : void stop()));
  process.on("disconnect", () => process.exit(1)); // the parent died: never linger
  process.send!({ ready: true });
}

type Tally = Map<string, { count: number; ms: number }>;

/** BENCH_TRACE=1: the worker's SQL statements by their first words, with their count and summed latency. */
function traceStatements(pool: pg.Pool): Tally {
  const tally: Tally = new Map();
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === "string" ? first : (first.text ?? ""))
        .replace(/\s+/g, " ")
        .replace(/'[^']*'/g, "?")
        .trim();
      const key = text.slice(0, 70);
      const started = performance.now();
      const done = () => {
        const entry = tally.get(key) ?? { count: 0, ms: 0 };
        entry.count++;
        entry.ms += performance.now() - started;
        tally.set(key, entry);
      };
      const callback = args.at(-1);
      if (typeof callback === "function") {
        // pool.query passes a callback: time until it is called.
        return query(...args.slice(0, -1), (...results: unknown[]) => {
          done();
          return callback(...results);
        });
      }
      const result = query(...args);
      if (result instanceof Promise) result.then(done, done);
      return result;
    };
  });
  return tally;
}

function printTally(tally: Tally): void {
  const lines = [...tally].sort((a, b) => b[1].ms - a[1].ms);
  process.stderr.write(`worker ${process.pid} statements (count, summed latency ms, text):\n`);
  for (const [text, { count, ms }] of lines)
    process.stderr.write(`${String(count).padStart(7)} ${ms.toFixed(0).padStart(8)}  ${text}\n`);
}

interface Worker {
  child: ChildProcess;
}

function startWorker(): Promise<Worker> {
  const dir = process.env.BENCH_CPU_PROF;
  const profile = dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ["work"], {
    execArgv: ["--import", "tsx", ...profile],
    env: { ...process.env, NODE_ENV: "production" },
  });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve({ child }));
    child.once("exit", (code) => reject(new Error(`worker process exited with ${code}`)));
  });
}

interface WorkerReport {
  /** CPU time the worker has used since it started taking jobs. */
  cpuMs: number;
  /** Batch jobs it has finished. */
  batches: number;
}

function report(worker: Worker): Promise<WorkerReport> {
  return new Promise((resolve) => {
    worker.child.once("message", (message: WorkerReport) => resolve(message));
    worker.child.send("report");
  });
}

/** Stops a worker (it drains its jobs) and waits for it to exit. */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopped = false;
    worker.child.once("message", () => (stopped = true));
    worker.child.once("exit", (code) => (stopped ? resolve() : reject(new Error(`worker process exited with ${code}`))));
    worker.child.send("stop");
  });
}

interface RunRow {
  status: string;
  succeeded: number;
  failed: number;
  skipped: number;
  undefined_count: number;
  batches: number;
}

interface ModeResult {
  mode: string;
  wallMs: number;
  /** From the run's end until the snapshot job it queued is done (NaN for the engine alone). */
  snapshotMs: number;
  /** CPU time of the calculating Node processes (the workers, or this process for the engine alone). */
  nodeCpuMs: number;
  /** CPU time of the database's backends (NaN when PostgreSQL runs elsewhere). */
  databaseCpuMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the run's time went, from its rows: planning, batches in flight, the tail after the last batch. */
async function timeline(pool: ReturnType<typeof createPool>, runId: number, queuedAt: Date): Promise<string> {
  const { rows } = await pool.query(
    `SELECT extract(epoch FROM r.started_at - $2::timestamptz)::float8 AS planned,
       extract(epoch FROM min(b.started_at) - r.started_at)::float8 AS first,
       avg(extract(epoch FROM b.finished_at - b.started_at))::float8 AS mean,
       sum(extract(epoch FROM b.finished_at - b.started_at))::float8 AS busy,
       extract(epoch FROM max(b.finished_at) - min(b.started_at))::float8 AS span,
       extract(epoch FROM r.finished_at - max(b.finished_at))::float8 AS tail
     FROM calculation_runs r JOIN calculation_batches b ON b.run_id = r.id WHERE r.id = $1 GROUP BY r.id`,
    [runId, queuedAt],
  );
  const t = rows[0];
  const ms = (v: number) => `${Math.round(v * 1000)} ms`;
  return (
    `queued → planned ${ms(t.planned)}, → first batch ${ms(t.first)}; batches: mean ${ms(t.mean)}, ` +
    `${(t.busy / t.span).toFixed(2)} in flight on average over ${s(t.span * 1000)} s; last batch → run final ${ms(t.tail)}`
  );
}

/**
 * Two runs through `workers` worker processes: the first in fresh processes (their code not yet
 * optimised by the JIT), the second in the same processes, warm, as in a worker that has run for a
 * while. Each is checked against the engine's outcome.
 */
async function jobsMode(name: string, workers: number, period: Period, engine: EngineRun): Promise<ModeResult[]> {
  const config = loadConfig(WORKER_ENV);
  const pool = createPool(config.database.url!, 3);
  const db = createDb(pool);
  // A queue-only CalculationJobs (never started), as in an API replica that does not work on jobs.
  const services = createServices(db, config, { log: createLogger("warn"), embedded: false });
  const started = await Promise.all(Array.from({ length: workers }, startWorker));
  const timedRun = async (mode: string): Promise<ModeResult> => {
    const run = await createRun(db, {
      trigger: "bench",
      selection: { aggregationPeriod: "monthly" },
      periodContaining: period.start,
      today: todayIn(TIME_ZONE),
      requestedBy: null,
    });
    const queuedAt = new Date();
    const before = await Promise.all(started.map(report));
    const databaseCpu = await databaseCpuMs(pool);
    const clock = performance.now();
    await services.jobs.enqueuePlan(run.id);
    let row: RunRow;
    for (;;) {
      row = (
        await pool.query<RunRow>(
          "SELECT status, succeeded, failed, skipped, undefined_count, batches FROM calculation_runs WHERE id = $1",
          [run.id],
        )
      ).rows[0]!;
      if (row.status !== "queued" && row.status !== "running") break;
      await sleep(20);
    }
    const wallMs = performance.now() - clock;
    const databaseCpuUsed = (await databaseCpuMs(pool)) - databaseCpu;
    const after = await Promise.all(started.map(report));
    // The run's end queued the snapshot job: wait until no job is due or running.
    for (;;) {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM agenda_jobs WHERE NOT disabled AND (locked_at IS NOT NULL OR next_run_at <= now())`,
      );
      if (rows[0].n === 0) break;
      await sleep(20);
    }
    const snapshotMs = performance.now() - clock - wallMs;
    const drained = await Promise.all(started.map(report));
    const stored = (
      await pool.query("SELECT count(*)::int AS n FROM kpi_measurements WHERE period_start = $1 AND calculated_at >= $2", [
        period.start,
        queuedAt,
      ])
    ).rows[0].n;
    const expected = { ...engine.counts, status: "succeeded", stored: engine.stored };
    const got = {
      succeeded: row.succeeded,
      undefined: row.undefined_count,
      skipped: row.skipped,
      failed: row.failed,
      status: row.status,
      stored,
    };
    if (JSON.stringify(got) !== JSON.stringify(expected) || stored !== ASSIGNMENTS) {
      throw new Error(
        `${mode}: the run does not match the engine: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
      );
    }
    // Counted once the queue is drained: a batch job ends a little after the run it completes.
    const perWorker = drained.map((r, i) => r.batches - before[i]!.batches).join(", ");
    console.log(`\n${mode}: ${row.batches} batches (per worker: ${perWorker}); ${formatOutcomes(engine.counts)}`);
    console.log(`  ${await timeline(pool, run.id, queuedAt)}`);
    const nodeCpuMs = after.reduce((sum, r, i) => sum + r.cpuMs - before[i]!.cpuMs, 0);
    return { mode, wallMs, snapshotMs, nodeCpuMs, databaseCpuMs: databaseCpuUsed };
  };
  try {
    const fresh = await timedRun(`${name}, fresh`);
    await resetMeasurements(period);
    return [fresh, await timedRun(`${name}, warm`)];
  } finally {
    await Promise.all(started.map(stopWorker));
    await services.jobs.stop(0); // closes the notification channel queueRun opened
    await services.close();
    await pool.end();
  }
}

/** Empties the period's measurements so the next mode does the full work on a table in the same state. */
async function resetMeasurements(period: Period): Promise<void> {
  await onServer(databaseUrl(DB_NAME), async (client) => {
    await client.query("DELETE FROM kpi_measurements WHERE period_start = $1", [period.start]);
    await client.query("DELETE FROM kpi_snapshots");
    await client.query("VACUUM ANALYZE kpi_measurements");
  });
}

/** The engine alone over the dataset; fails unless every assignment was stored. */
async function engineAlone(mode: string, period: Period): Promise<ModeResult & { run: EngineRun }> {
  const run = await calculateWithEngine(DB_NAME, period, ENGINE);
  if (run.stored !== ASSIGNMENTS || run.calculations !== ASSIGNMENTS || run.counts.failed > 0) {
    throw new Error(`the engine stored ${run.stored} of ${ASSIGNMENTS} measurements (${formatOutcomes(run.counts)})`);
  }
  console.log(`\n${mode}: ${formatOutcomes(run.counts)}; measurements stored: ${run.stored}`);
  return { mode, wallMs: run.wallMs, snapshotMs: NaN, nodeCpuMs: run.nodeCpuMs, databaseCpuMs: run.databaseCpuMs, run };
}

async function bench(): Promise<void> {
  const period = latestCompletedPeriod("monthly", todayIn(TIME_ZONE));
  const load = os.loadavg()[0]!.toFixed(2);
  try {
    await buildCalcDataset(DB_NAME, period);
    // The engine runs before and after the jobs modes, so that a change in the machine's load
    // (it is shared) shows; the overhead is against the mean of the two.
    const before = await engineAlone("engine alone", period);
    const results: ModeResult[] = [before];
    for (const workers of WORKER_COUNTS) {
      await resetMeasurements(period);
      results.push(...(await jobsMode(workers === 1 ? "one worker" : `${workers} workers`, workers, period, before.run)));
    }
    await resetMeasurements(period);
    const after = await engineAlone("engine alone, again", period);
    results.push(after);
    const baseline = (before.wallMs + after.wallMs) / 2;
    const rate = (ms: number) => Math.round(ASSIGNMENTS / (ms / 1000));
    const percent = (ms: number) => `${(((ms - baseline) / baseline) * 100).toFixed(1)} %`;
    const cpu = (ms: number) => (Number.isNaN(ms) ? "" : s(ms));
    console.log(`\n${ASSIGNMENTS} calculations for ${period.start}..${period.end}`);
    console.table(
      results.map((r) => ({
        mode: r.mode,
        "wall s": s(r.wallMs),
        "calculations/s": rate(r.wallMs),
        "overhead vs engine": r.mode.startsWith("engine") ? "" : percent(r.wallMs),
        "snapshot s": cpu(r.snapshotMs),
        "Node CPU s": cpu(r.nodeCpuMs),
        "PostgreSQL CPU s": cpu(r.databaseCpuMs),
      })),
    );
    const { JOBS_BATCH_SIZE, JOBS_CONCURRENCY, JOBS_PROCESS_EVERY_MS, DATABASE_POOL_MAX } = WORKER_ENV;
    console.log(
      `overhead: wall time over the mean of the engine's two runs (${s(baseline)} s); snapshot: from the run's end until its snapshot job is done`,
    );
    console.log(
      `workers: JOBS_BATCH_SIZE=${JOBS_BATCH_SIZE} JOBS_CONCURRENCY=${JOBS_CONCURRENCY} JOBS_PROCESS_EVERY_MS=${JOBS_PROCESS_EVERY_MS} DATABASE_POOL_MAX=${DATABASE_POOL_MAX}`,
    );
    console.log(
      `host: ${os.cpus().length} CPUs, PostgreSQL on ${new URL(SERVER_URL).host} (shared with the workers); load average ${load} before, ${os.loadavg()[0]!.toFixed(2)} after`,
    );
    console.log(`goal: the scheduler costs less than ${GOAL_PERCENT} % over the engine alone`);
  } finally {
    if (!KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

if (process.argv[2] === "work") await work();
else await bench();
