/**
 * The read benchmarks' dataset (bench:read, bench:peer, bench:web): 10,000 members in 200 teams of
 * 50, each with five monthly KPIs measured over the last 12 months, in a throw-away database
 * (kpi_bench).
 */
import { createMigratedDatabase, databaseUrl, onServer } from "./bench-database.js";
import { createDb } from "../src/db/client.js";
import { ensureMeasurementPartitions } from "../src/db/partitions.js";

export const DB_NAME = "kpi_bench";
export const USERS = 10_000;
export const TEAM_SIZE = 50;
const TEAMS = USERS / TEAM_SIZE;
const MONTHS = 12;
// Mixed target types so that every branch of the achievement formula is exercised.
export const DEFINITIONS = [
  { name: "Revenue", unit: "EUR", targetType: "higher_better", target: 10_000 },
  { name: "Tickets closed", unit: "tickets", targetType: "higher_better", target: 120 },
  { name: "First response time", unit: "minutes", targetType: "lower_better", target: 30 },
  { name: "Customer satisfaction", unit: "%", targetType: "higher_better", target: 90 },
  { name: "Budget adherence", unit: "EUR", targetType: "exact", target: 5_000 },
];

/** The 12 complete months before today (UTC, as the server's default KPI_TIMEZONE), as "YYYY-MM-DD". */
function measuredMonths(today = new Date()): { first: string; last: string; end: string } {
  const month = (offset: number) =>
    new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
  return { first: month(-MONTHS), last: month(-1), end: month(0) };
}

/** With BENCH_KEEP, a kpi_bench of an earlier run is reused when it holds this month's full dataset. */
async function hasDataset(): Promise<boolean> {
  const { first, end } = measuredMonths();
  const sql = "SELECT count(*)::int AS n FROM kpi_measurements WHERE period_start >= $1 AND period_start < $2";
  // No database (or no table) is no dataset either.
  const count = await onServer(databaseUrl(DB_NAME), async (c) => (await c.query(sql, [first, end])).rows[0].n).catch(() => 0);
  return count === USERS * DEFINITIONS.length * MONTHS;
}

/**
 * The dataset as one script of set-based INSERT … SELECT statements, one per table, so building takes
 * seconds. A multi-statement query runs in one implicit transaction: a failed build leaves nothing.
 * Every value spliced in is one of this file's constants or a date computed here.
 */
function datasetSql(first: string, last: string): string {
  const definitions = DEFINITIONS.map((d) => `('${d.name}', '${d.unit}', '${d.targetType}'::target_type, ${d.target})`).join(
    ", ",
  );
  return `
    SELECT setseed(0.42); -- the same figures on every build
    INSERT INTO users (name, email, role)
      SELECT format('User %s', lpad(g::text, 5, '0')), format('user%s@bench.test', g), 'user'::user_role FROM generate_series(1, ${USERS}) g
      UNION ALL SELECT format('Manager %s', g), format('manager%s@bench.test', g), 'manager' FROM generate_series(1, ${TEAMS}) g
      UNION ALL SELECT 'Bench Admin', 'admin@bench.test', 'admin';
    INSERT INTO teams (name, manager_id) SELECT format('Team %s', g), m.id
      FROM generate_series(1, ${TEAMS}) g JOIN users m ON m.email = format('manager%s@bench.test', g);
    INSERT INTO team_members (team_id, user_id) SELECT t.id, u.id FROM generate_series(1, ${USERS}) g
      JOIN users u ON u.email = format('user%s@bench.test', g) JOIN teams t ON t.name = format('Team %s', (g - 1) / ${TEAM_SIZE} + 1);
    CREATE TEMP TABLE bench_definitions (name text, unit text, target_type target_type, target numeric) ON COMMIT DROP;
    INSERT INTO bench_definitions VALUES ${definitions};
    INSERT INTO kpi_definitions (name, unit, calculation_type, aggregation_period, target_type)
      SELECT name, unit, 'manual', 'monthly', target_type FROM bench_definitions;
    INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
      SELECT u.id, d.id, b.target, 20, '${first}' FROM users u CROSS JOIN kpi_definitions d
      JOIN bench_definitions b ON b.name = d.name WHERE u.role = 'user';
    -- Actuals scatter around the target (60–140 %); achievement as src/scoring/achievement.ts computes it.
    INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage)
      SELECT id, period_start, period_end, actual, target, round(least(999.99, greatest(0, CASE target_type
          WHEN 'higher_better' THEN CASE WHEN target = 0 THEN CASE WHEN actual >= 0 THEN 100 ELSE 0 END ELSE actual / target * 100 END
          WHEN 'lower_better' THEN CASE WHEN actual <= 0 THEN CASE WHEN target > 0 THEN 999.99 ELSE 100 END ELSE target / actual * 100 END
          ELSE CASE WHEN target = 0 THEN CASE WHEN actual = 0 THEN 100 ELSE 0 END ELSE 100 - abs(actual - target) / abs(target) * 100 END
        END)), 2)
      FROM (
        SELECT uk.id, p::date AS period_start, (p + interval '1 month')::date AS period_end, uk.target_value AS target,
          kd.target_type, round(uk.target_value * (0.6 + random()::numeric * 0.8), 2) AS actual
        FROM user_kpis uk JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
        CROSS JOIN generate_series('${first}'::date, '${last}'::date, interval '1 month') p
      ) m;`;
}

/** Creates (or, with `keep` (BENCH_KEEP=1), reuses) kpi_bench, migrated and filled. */
export async function prepareDatabase(keep: boolean): Promise<void> {
  if (keep && (await hasDataset())) return console.log(`reusing ${DB_NAME} (BENCH_KEEP=1)`);
  const pool = await createMigratedDatabase(DB_NAME);
  try {
    const { first, last } = measuredMonths();
    const started = performance.now();
    await ensureMeasurementPartitions(createDb(pool), first, last);
    await pool.query(datasetSql(first, last));
    const built = performance.now();
    await pool.query("ANALYZE");
    console.log(`dataset built in ${s(built - started)} s, ANALYZE ${s(performance.now() - built)} s`);
  } finally {
    await pool.end();
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);
