/**
 * The calculation benchmarks' dataset (bench:calc, bench:jobs): 10,000 users × 5 KPIs (3 QUERY, 2
 * FORMULA over database inputs) of one monthly period over kpi_source tables, built in a throw-away
 * database, and the engine run over it as a run's batch calculates it (calculateAssignments, then
 * one upsertMeasurements per chunk). BENCH_USERS shrinks it for a quick try (default 10,000).
 */
import type pg from "pg";
import { createMigratedDatabase, databaseCpuMs, databaseUrl } from "./bench-database.js";
import { createDb, createPool } from "../src/db/client.js";
import { ensureMeasurementPartitions } from "../src/db/partitions.js";
import { AdapterRegistry } from "../src/engine/adapters/adapter.js";
import { Calculator, type CalculableDefinition } from "../src/engine/calculator/calculator.js";
import { QueryRunner } from "../src/engine/query/query-runner.js";
import { SourceConnections } from "../src/engine/query/source-connections.js";
import { kpiValueForPeriod } from "../src/modules/calculation/calculation.store.js";
import { upsertMeasurements } from "../src/engine/batch/measurement-writer.js";
import {
  calculateAssignments,
  type AssignmentOutcome,
  type CalculableAssignment,
} from "../src/engine/batch/batch-calculation.js";
import type { Period } from "../src/scoring/periods.js";

export const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const ROWS_PER_USER = 10;
/** The server's default KPI_TIMEZONE. */
export const TIME_ZONE = "UTC";

/** A database source over one kpi_source table: `select` for one user's rows in the half-open period. */
const db = (select: string, table: string, user: string, at: string, extra = "") => ({
  type: "database",
  query: `SELECT ${select} FROM ${table} WHERE ${user} = :user_id AND ${at} >= :start_date AND ${at} < :end_date${extra}`,
});
const formula = (text: string, inputs: Record<string, ReturnType<typeof db>>) => ({
  type: "formula",
  formula: text,
  inputs: Object.entries(inputs).map(([variable, source]) => ({ variable, source })),
});
const cases = (select: string) => db(select, "support_cases", "assigned_to", "resolved_at");
const ratings = (select: string) => db(select, "ratings", "user_id", "rated_at");
const tasks = (extra = "") => db("count(*)", "tasks", "assignee_id", "completed_at", extra);
// The definitions as an admin would save them: [name, type, target type, target, data source].
const DEFINITIONS = [
  ["Resolved cases", "query", "higher_better", 50, cases("count(*)")],
  ["Resolution hours", "query", "lower_better", 24, cases("avg(extract(epoch FROM resolved_at - opened_at) / 3600)")],
  ["Tasks done", "query", "higher_better", 10, tasks()],
  [
    "Satisfaction",
    "formula",
    "higher_better",
    90,
    formula("positive / total * 100", { positive: ratings("count(*) FILTER (WHERE positive)"), total: ratings("count(*)") }),
  ],
  [
    "On-time tasks",
    "formula",
    "higher_better",
    80,
    formula("on_time / done * 100", { on_time: tasks(" AND completed_at <= due_at"), done: tasks() }),
  ],
] as const;

/** Assignments in the dataset: every user has every definition. */
export const ASSIGNMENTS = USERS * DEFINITIONS.length;

/**
 * The dataset as set-based SQL in one implicit transaction. ~10 rows per user per table inside the
 * period; every 50th user has no ratings, so Satisfaction divides by zero ("undefined" outcomes).
 * Only this file's constants and a computed date are spliced in.
 */
function datasetSql(period: Period): string {
  const definitions = DEFINITIONS.map(
    ([name, type, target, value, source]) =>
      `('${name}', '${type}'::calculation_type, '${target}'::target_type, ${value}, '${JSON.stringify(source)}'::jsonb)`,
  ).join(", ");
  // A random instant inside the period, for the source rows' timestamps.
  const at = `'${period.start}'::timestamptz + random() * ('${period.end}'::timestamptz - '${period.start}'::timestamptz)`;
  return `
    SELECT setseed(0.42);
    INSERT INTO users (name, email, role)
      SELECT format('User %s', g), format('user%s@bench.test', g), 'user'::user_role FROM generate_series(1, ${USERS}) g;
    CREATE TEMP TABLE bench_definitions (name text, type calculation_type, target_type target_type, target numeric, source jsonb) ON COMMIT DROP;
    INSERT INTO bench_definitions VALUES ${definitions};
    INSERT INTO kpi_definitions (name, unit, calculation_type, data_source, aggregation_period, target_type)
      SELECT name, 'n', type, source, 'monthly', target_type FROM bench_definitions;
    INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
      SELECT u.id, d.id, b.target, 20, '${period.start}' FROM users u CROSS JOIN kpi_definitions d JOIN bench_definitions b ON b.name = d.name;
    CREATE TABLE kpi_source.support_cases (id bigserial PRIMARY KEY, assigned_to int NOT NULL, opened_at timestamptz NOT NULL, resolved_at timestamptz);
    INSERT INTO kpi_source.support_cases (assigned_to, resolved_at, opened_at)
      SELECT u.id, r, r - random() * interval '72 hours' FROM users u, generate_series(1, ${ROWS_PER_USER}), LATERAL (SELECT ${at} AS r) t;
    CREATE TABLE kpi_source.ratings (id bigserial PRIMARY KEY, user_id int NOT NULL, rated_at timestamptz NOT NULL, positive boolean NOT NULL);
    INSERT INTO kpi_source.ratings (user_id, rated_at, positive)
      SELECT u.id, ${at}, random() < 0.85 FROM users u, generate_series(1, ${ROWS_PER_USER}) WHERE u.id % 50 <> 0;
    CREATE TABLE kpi_source.tasks (id bigserial PRIMARY KEY, assignee_id int NOT NULL, due_at timestamptz NOT NULL, completed_at timestamptz);
    INSERT INTO kpi_source.tasks (assignee_id, completed_at, due_at)
      SELECT u.id, c, c + (random() - 0.2) * interval '48 hours' FROM users u, generate_series(1, ${ROWS_PER_USER}), LATERAL (SELECT ${at} AS c) t;
    -- Indexes that match the queries: equality on the user, range on the period.
    CREATE INDEX ON kpi_source.support_cases (assigned_to, resolved_at);
    CREATE INDEX ON kpi_source.ratings (user_id, rated_at);
    CREATE INDEX ON kpi_source.tasks (assignee_id, completed_at);
    GRANT SELECT ON ALL TABLES IN SCHEMA kpi_source TO kpi_source_reader;`;
}

export const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Drops and recreates database `name` with the dataset of `period`; prints how long that took. */
export async function buildCalcDataset(name: string, period: Period): Promise<void> {
  const pool = await createMigratedDatabase(name);
  try {
    const started = performance.now();
    await ensureMeasurementPartitions(createDb(pool), period.start, period.start);
    await pool.query(datasetSql(period));
    await pool.query("ANALYZE");
    console.log(`dataset built in ${seconds(performance.now() - started)} s`);
  } finally {
    await pool.end();
  }
}

/** Every assignment with its definition (one object per definition, shared, as a job loads them). */
async function loadAssignments(pool: pg.Pool, period: Period): Promise<CalculableAssignment[]> {
  const { rows } = await pool.query(
    `SELECT uk.id, uk.user_id, uk.target_value::float8 AS target, d.id AS definition_id, d.calculation_type,
       d.data_source, d.updated_at, d.target_type
     FROM user_kpis uk JOIN kpi_definitions d ON d.id = uk.kpi_definition_id ORDER BY uk.user_id, d.id`,
  );
  const definitions = new Map<number, CalculableDefinition>();
  return rows.map((r) => {
    let definition = definitions.get(r.definition_id);
    if (!definition) {
      definition = {
        id: r.definition_id,
        calculationType: r.calculation_type,
        dataSource: r.data_source,
        updatedAt: r.updated_at,
      };
      definitions.set(r.definition_id, definition);
    }
    // No external ids: the bench's queries use none.
    return {
      userKpiId: r.id,
      userId: r.user_id,
      targetValue: r.target,
      targetType: r.target_type,
      definition,
      period,
      externalIds: {},
    };
  });
}

/** A chunk through the engine as a run's batch calculates it, then written in one statement. */
async function calculateChunk(
  calculator: Calculator,
  queries: QueryRunner,
  pool: pg.Pool,
  chunk: CalculableAssignment[],
  concurrency: number,
  counts: Record<AssignmentOutcome, number>,
) {
  const results = await calculateAssignments(calculator, queries, chunk, { concurrency });
  for (const result of results) counts[result.outcome]++;
  await upsertMeasurements(
    pool,
    results.flatMap((result) => (result.write ? [result.write] : [])),
  );
}

export interface EngineRun {
  calculations: number;
  wallMs: number;
  counts: Record<AssignmentOutcome, number>;
  /** Measurements of the period in the database afterwards. */
  stored: number;
  /** CPU time of this process over the calculations. */
  nodeCpuMs: number;
  /** CPU time of the database's backends over the calculations (NaN when not measurable). */
  databaseCpuMs: number;
}

/**
 * Every assignment of database `name` through the engine directly, `chunk` at a time with
 * `concurrency` calculations in flight: the real Calculator and QueryRunner (queries as
 * kpi_source_reader, as in production), without a job queue. Times the calculations and writes.
 */
export async function calculateWithEngine(
  name: string,
  period: Period,
  options: { concurrency: number; chunk: number },
): Promise<EngineRun> {
  // Each worker's session holds one connection; one more for the writes.
  const pool = createPool(databaseUrl(name), options.concurrency + 1);
  try {
    const queries = new QueryRunner(new SourceConnections(pool, {}), { timeoutMs: 10_000, timeZone: TIME_ZONE });
    const calculator = new Calculator(queries, new AdapterRegistry([]), (userId, id, p) =>
      kpiValueForPeriod(pool, userId, id, p),
    );
    const assignments = await loadAssignments(pool, period);
    const counts: Record<AssignmentOutcome, number> = { succeeded: 0, undefined: 0, skipped: 0, failed: 0 };
    const databaseCpu = await databaseCpuMs(pool);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < assignments.length; i += options.chunk) {
      await calculateChunk(calculator, queries, pool, assignments.slice(i, i + options.chunk), options.concurrency, counts);
    }
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const databaseCpuUsed = (await databaseCpuMs(pool)) - databaseCpu;
    const stored = (await pool.query("SELECT count(*)::int AS n FROM kpi_measurements WHERE period_start = $1", [period.start]))
      .rows[0].n;
    return {
      calculations: assignments.length,
      wallMs,
      counts,
      stored,
      nodeCpuMs: (used.user + used.system) / 1000,
      databaseCpuMs: databaseCpuUsed,
    };
  } finally {
    await pool.end();
  }
}

/** "succeeded 49800, undefined 200, skipped 0, failed 0" */
export const formatOutcomes = (counts: Record<AssignmentOutcome, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
