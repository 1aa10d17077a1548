import type pg from "pg";
import type { Period } from "../../scoring/periods.js";
import { MEASUREMENT_COLUMNS } from "../measurement/measurement.store.js";
import type { Measurement } from "../measurement/measurement.store.js";

/** The measurements of (assignment, period start) pairs; a pair without one is simply absent. */
export async function measurementsAt(
  pool: pg.Pool,
  keys: readonly { userKpiId: number; periodStart: string }[],
): Promise<Measurement[]> {
  const result = await pool.query<Measurement>(
    `SELECT ${MEASUREMENT_COLUMNS}
     FROM unnest($1::int[], $2::date[]) AS wanted(assignment_id, start)
     JOIN kpi_measurements m ON m.user_kpi_id = wanted.assignment_id AND m.period_start = wanted.start`,
    [keys.map((key) => key.userKpiId), keys.map((key) => key.periodStart)],
  );
  return result.rows;
}

export interface TeamTrendRow {
  teamId: number;
  periodStart: string;
  periodEnd: string;
  averageOverallScore: number | null;
  membersWithScore: number;
}

/**
 * Per team and period, the average over its current members of each one's latest snapshot dated
 * in the period (members without one are left out). One statement for every team of a response.
 */
export async function teamTrends(pool: pg.Pool, teamIds: readonly number[], periods: readonly Period[]): Promise<TeamTrendRow[]> {
  const result = await pool.query<TeamTrendRow>(
    `SELECT tm.team_id AS "teamId", p.start::text AS "periodStart", p.finish::text AS "periodEnd",
       round(avg(latest.overall_score), 2)::float8 AS "averageOverallScore", count(latest.overall_score)::int AS "membersWithScore"
     FROM team_members tm
     CROSS JOIN unnest($2::date[], $3::date[]) AS p(start, finish)
     LEFT JOIN LATERAL (
       SELECT s.overall_score FROM kpi_snapshots s
       WHERE s.user_id = tm.user_id AND s.snapshot_date >= p.start AND s.snapshot_date < p.finish
       ORDER BY s.snapshot_date DESC LIMIT 1
     ) latest ON true
     WHERE tm.team_id = ANY($1::int[])
     GROUP BY tm.team_id, p.start, p.finish
     ORDER BY tm.team_id, p.start`,
    [teamIds, periods.map((period) => period.start), periods.map((period) => period.end)],
  );
  return result.rows;
}
