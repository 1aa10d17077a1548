/**
 * Calculation benchmark: builds a dataset in a throw-away database (kpi_bench_calc), calculates one
 * monthly period for 10,000 users × 5 KPIs (3 QUERY, 2 FORMULA over database inputs) through the real
 * Calculator and QueryRunner (kpi_source tables, queries as kpi_source_reader as in production), writes
 * each chunk with one upsertMeasurements call, then times formula evaluation alone.
 * `npm run bench:calc`; settings: BENCH_DATABASE_URL, BENCH_CONCURRENCY (default 8), BENCH_CHUNK
 * (default 1000), BENCH_KEEP=1 (keeps the database).
 */
import os from "node:os";
import { createMigratedDatabase, databaseUrl, dropDatabase, SERVER_URL } from "./bench-database.js";
import pg from "pg";
import { createDb, createPool } from "../src/db/client.js";
import { ensureMeasurementPartitions } from "../src/db/partitions.js";
import { AdapterRegistry } from "../src/engine/adapters/adapter.js";
import { Calculator, type CalculableDefinition } from "../src/engine/calculator.js";
import { compileFormula, type FormulaInputs } from "../src/engine/formula/index.js";
import { QueryRunner } from "../src/engine/query/query-runner.js";
import { SourceConnections } from "../src/engine/query/source-connections.js";
import { kpiValueForPeriod } from "../src/modules/calculation/calculation.store.js";
import { upsertMeasurements } from "../src/modules/calculation/measurement-writer.js";
import {
  calculateAssignments,
  type AssignmentOutcome,
  type CalculableAssignment,
} from "../src/modules/calculation/batch-calculation.js";
import { latestCompletedPeriod, todayIn, type Period } from "../src/scoring/periods.js";

const DB_NAME = "kpi_bench_calc";
const KEEP = process.env.BENCH_KEEP === "1";
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 1000);
const USERS = 10_000;
const ROWS_PER_USER = 10;
const FORMULA_SECONDS = 1;
const TIME_ZONE = "UTC"; // the server's default KPI_TIMEZONE

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

async function prepareDatabase(period: Period): Promise<void> {
  const pool = await createMigratedDatabase(DB_NAME);
  try {
    const started = performance.now();
    await ensureMeasurementPartitions(createDb(pool), period.start, period.start);
    await pool.query(datasetSql(period));
    await pool.query("ANALYZE");
    console.log(`dataset built in ${s(performance.now() - started)} s`);
  } finally {
    await pool.end();
  }
}

const s = (ms: number) => (ms / 1000).toFixed(2);

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
  counts: Record<AssignmentOutcome, number>,
) {
  const results = await calculateAssignments(calculator, queries, chunk, { concurrency: CONCURRENCY });
  for (const result of results) counts[result.outcome]++;
  await upsertMeasurements(
    pool,
    results.flatMap((result) => (result.write ? [result.write] : [])),
  );
}

async function benchCalculations(period: Period): Promise<void> {
  // Each worker's session holds one connection; one more for the writes.
  const pool = createPool(databaseUrl(DB_NAME), CONCURRENCY + 1);
  try {
    const queries = new QueryRunner(new SourceConnections(pool, {}), { timeoutMs: 10_000, timeZone: TIME_ZONE });
    const calculator = new Calculator(queries, new AdapterRegistry([]), (userId, id, p) =>
      kpiValueForPeriod(pool, userId, id, p),
    );
    const assignments = await loadAssignments(pool, period);
    const counts: Record<AssignmentOutcome, number> = { succeeded: 0, undefined: 0, skipped: 0, failed: 0 };
    const started = performance.now();
    for (let i = 0; i < assignments.length; i += CHUNK) {
      await calculateChunk(calculator, queries, pool, assignments.slice(i, i + CHUNK), counts);
    }
    const wall = performance.now() - started;
    const stored = (await pool.query("SELECT count(*)::int AS n FROM kpi_measurements WHERE period_start = $1", [period.start]))
      .rows[0].n;
    console.log(
      `\ncalculations: ${assignments.length} for ${period.start}..${period.end}, concurrency ${CONCURRENCY}, chunks of ${CHUNK}, pool ${CONCURRENCY + 1}`,
    );
    console.log(`wall time: ${s(wall)} s`);
    console.log(`calculations/s: ${Math.round(assignments.length / (wall / 1000))}`);
    console.log(
      `outcomes: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}; measurements stored: ${stored}`,
    );
  } finally {
    await pool.end();
  }
}

/** compileFormula(...).evaluate in a tight loop over rotating inputs (no I/O): evaluations per second. */
function benchFormula(): number {
  const compiled = compileFormula("positive / total * 100", ["positive", "total"]);
  const inputs: FormulaInputs[] = Array.from({ length: 1024 }, (_, i) => ({ positive: i % 10, total: i % 13 }));
  let sink = 0;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const result = compiled.evaluate(inputs[i & 1023]!);
      if (result.kind === "value") sink += result.value;
    }
  };
  run(500_000); // warm-up, so the JIT has optimised the closures before timing
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < FORMULA_SECONDS * 1000) {
    run(100_000);
    count += 100_000;
  }
  const rate = count / ((performance.now() - started) / 1000);
  if (sink === -1) console.log(sink); // keeps the loop from being optimised away
  return rate;
}

async function bench(): Promise<void> {
  const period = latestCompletedPeriod("monthly", todayIn(TIME_ZONE));
  try {
    await prepareDatabase(period);
    await benchCalculations(period);
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    console.log(
      `peak RSS (maxRSS): ${mb(process.resourceUsage().maxRSS * 1024)} MB; RSS now ${mb(process.memoryUsage().rss)} MB`,
    );
    console.log(`formula evaluation: ${Math.round(benchFormula()).toLocaleString("en")} evaluations/s`);
    console.log(`host: ${os.cpus().length} CPUs, PostgreSQL on ${new URL(SERVER_URL).host} (shared with this process)`);
    console.log("goal: 50,000 calculations in < 8 s (> 6,000/s) and formula evaluation > 1,000,000/s on 2 cores");
  } finally {
    if (!KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

await bench();
