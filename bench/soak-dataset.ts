/**
 * The soak's dataset (bench:soak): TEAMS teams of TEAM_SIZE members and their managers, two admins;
 * every member has five manual monthly KPIs measured over the last 12 months (as bench:read's
 * dataset, smaller) and one QUERY KPI over a kpi_source table, which each calculation run
 * recalculates for everyone, so that runs cause live events as manual entries do. One more manual
 * definition is assigned to no one: the soak's bulk assignments assign it to whole teams.
 * Built in the server's own database (embedded or PostgreSQL) before the server starts.
 */
import type pg from "pg";
import type { JwtService } from "../src/auth/jwt.js";
import type { Db } from "../src/db/client.js";
import { ensureMeasurementPartitions } from "../src/db/partitions.js";

export const TEAMS = 20;
export const TEAM_SIZE = 50;
const MONTHS = 12;
const TASKS_PER_MEMBER = 5;
export const BULK_DEFINITION = "Soak bulk-assigned";
const MANUAL_DEFINITIONS = [
  { name: "Revenue", unit: "EUR", targetType: "higher_better", target: 10_000 },
  { name: "Tickets closed", unit: "tickets", targetType: "higher_better", target: 120 },
  { name: "First response time", unit: "minutes", targetType: "lower_better", target: 30 },
  { name: "Customer satisfaction", unit: "%", targetType: "higher_better", target: 90 },
  { name: "Budget adherence", unit: "EUR", targetType: "exact", target: 5_000 },
];
/** Run as kpi_source_reader over the kpi_source schema, as every QUERY definition on the server's own database. */
const TASKS_DONE = {
  type: "database",
  query:
    "SELECT count(*) FROM soak_tasks WHERE assignee_id = :user_id AND completed_at >= :start_date AND completed_at < :end_date",
};

/** The 12 complete months before today (UTC, the server's default KPI_TIMEZONE), as "YYYY-MM-DD". */
export function measuredMonths(today = new Date()): { first: string; last: string; end: string } {
  const month = (offset: number) =>
    new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
  return { first: month(-MONTHS), last: month(-1), end: month(0) };
}

/** Set-based SQL in one implicit transaction; only this file's constants and computed dates are spliced in. */
function datasetSql(first: string, last: string, end: string): string {
  const definitions = MANUAL_DEFINITIONS.map(
    (d) => `('${d.name}', '${d.unit}', '${d.targetType}'::target_type, ${d.target})`,
  ).join(", ");
  const users = TEAMS * TEAM_SIZE;
  return `
    SELECT setseed(0.42);
    INSERT INTO users (name, email, role)
      SELECT format('Member %s', lpad(g::text, 4, '0')), format('member%s@soak.test', g), 'user'::user_role FROM generate_series(1, ${users}) g
      UNION ALL SELECT format('Manager %s', g), format('manager%s@soak.test', g), 'manager' FROM generate_series(1, ${TEAMS}) g
      UNION ALL SELECT format('Admin %s', g), format('admin%s@soak.test', g), 'admin' FROM generate_series(1, 2) g;
    INSERT INTO teams (name, manager_id) SELECT format('Team %s', g), m.id
      FROM generate_series(1, ${TEAMS}) g JOIN users m ON m.email = format('manager%s@soak.test', g);
    INSERT INTO team_members (team_id, user_id) SELECT t.id, u.id FROM generate_series(1, ${users}) g
      JOIN users u ON u.email = format('member%s@soak.test', g) JOIN teams t ON t.name = format('Team %s', (g - 1) / ${TEAM_SIZE} + 1);
    CREATE TEMP TABLE soak_definitions (name text, unit text, target_type target_type, target numeric) ON COMMIT DROP;
    INSERT INTO soak_definitions VALUES ${definitions};
    INSERT INTO kpi_definitions (name, unit, calculation_type, aggregation_period, target_type)
      SELECT name, unit, 'manual'::calculation_type, 'monthly'::aggregation_period, target_type FROM soak_definitions
      UNION ALL SELECT '${BULK_DEFINITION}', 'points', 'manual', 'monthly', 'higher_better';
    INSERT INTO kpi_definitions (name, unit, calculation_type, data_source, aggregation_period, target_type)
      VALUES ('Tasks done', 'tasks', 'query', '${JSON.stringify(TASKS_DONE)}'::jsonb, 'monthly', 'higher_better');
    INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
      SELECT u.id, d.id, coalesce(b.target, ${TASKS_PER_MEMBER}), 20, '${first}' FROM users u CROSS JOIN kpi_definitions d
      LEFT JOIN soak_definitions b ON b.name = d.name WHERE u.role = 'user' AND d.name <> '${BULK_DEFINITION}';
    INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage)
      -- Actuals scatter around the target (60–140 %); achievement as src/scoring/achievement.ts computes it.
      SELECT id, period_start, period_end, actual, target, round(least(999.99, greatest(0, CASE target_type
          WHEN 'higher_better' THEN actual / target * 100
          WHEN 'lower_better' THEN target / actual * 100
          ELSE 100 - abs(actual - target) / abs(target) * 100
        END)), 2)
      FROM (
        SELECT uk.id, p::date AS period_start, (p + interval '1 month')::date AS period_end, uk.target_value AS target,
          kd.target_type, round(uk.target_value * (0.6 + random()::numeric * 0.8), 2) AS actual
        FROM user_kpis uk JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id AND kd.calculation_type = 'manual'
        CROSS JOIN generate_series('${first}'::date, '${last}'::date, interval '1 month') p
      ) m;
    CREATE TABLE kpi_source.soak_tasks (id bigserial PRIMARY KEY, assignee_id int NOT NULL, completed_at timestamptz NOT NULL);
    INSERT INTO kpi_source.soak_tasks (assignee_id, completed_at)
      SELECT u.id, '${last}'::timestamptz + random() * ('${end}'::timestamptz - '${last}'::timestamptz)
      FROM users u, generate_series(1, ${TASKS_PER_MEMBER}) WHERE u.role = 'user';
    CREATE INDEX ON kpi_source.soak_tasks (assignee_id, completed_at);
    GRANT SELECT ON ALL TABLES IN SCHEMA kpi_source TO kpi_source_reader;`;
}

export async function buildSoakDataset(db: Db, pool: pg.Pool): Promise<void> {
  const { first, last, end } = measuredMonths();
  await ensureMeasurementPartitions(db, first, last);
  await pool.query(datasetSql(first, last, end));
  await pool.query("ANALYZE");
}

export interface SoakMember {
  id: number;
  token: string;
  /** The member's manual assignments, for entries. */
  userKpiIds: number[];
}

export interface SoakTeam {
  id: number;
  managerToken: string;
  members: SoakMember[];
}

/** Who the load acts as, with a token each (signed by the server's own JwtService). */
export interface SoakFixtures {
  adminToken: string;
  teams: SoakTeam[];
  bulkDefinitionId: number;
  /** Assignments a run recalculates: one per member, each publishing one event to its member. */
  calculatedAssignments: number;
  months: ReturnType<typeof measuredMonths>;
}

export async function loadFixtures(pool: pg.Pool, jwt: JwtService): Promise<SoakFixtures> {
  const { rows: people } = await pool.query<{ id: number; email: string; role: string }>(
    "SELECT id, email, role FROM users ORDER BY id",
  );
  const tokens = new Map<number, string>();
  for (const person of people) tokens.set(person.id, await jwt.sign(person));
  const { rows: memberships } = await pool.query<{ team_id: number; manager_id: number; user_id: number; kpis: number[] }>(
    `SELECT t.id AS team_id, t.manager_id, tm.user_id, array_agg(uk.id ORDER BY uk.id) AS kpis
     FROM teams t JOIN team_members tm ON tm.team_id = t.id
     JOIN user_kpis uk ON uk.user_id = tm.user_id JOIN kpi_definitions d ON d.id = uk.kpi_definition_id
     WHERE d.calculation_type = 'manual' GROUP BY t.id, tm.user_id ORDER BY t.id, tm.user_id`,
  );
  const teams = new Map<number, SoakTeam>();
  for (const row of memberships) {
    let team = teams.get(row.team_id);
    if (!team) teams.set(row.team_id, (team = { id: row.team_id, managerToken: tokens.get(row.manager_id)!, members: [] }));
    team.members.push({ id: row.user_id, token: tokens.get(row.user_id)!, userKpiIds: row.kpis });
  }
  const admin = people.find((person) => person.role === "admin")!;
  const { rows: bulk } = await pool.query<{ id: number }>("SELECT id FROM kpi_definitions WHERE name = $1", [BULK_DEFINITION]);
  const { rows: calculated } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM user_kpis uk JOIN kpi_definitions d ON d.id = uk.kpi_definition_id WHERE d.calculation_type <> 'manual'",
  );
  return {
    adminToken: tokens.get(admin.id)!,
    teams: [...teams.values()],
    bulkDefinitionId: bulk[0]!.id,
    calculatedAssignments: calculated[0]!.n,
    months: measuredMonths(),
  };
}
