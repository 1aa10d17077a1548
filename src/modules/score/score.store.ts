import type pg from "pg";
import { assignedAsOf, assignmentActive } from "../../db/conditions.js";
import { prepared } from "../../db/prepared.js";

/** "Active assignment" as a user's KPIs ask it (db/conditions.ts), for the plain-SQL reads below: $2 is today. */
const ACTIVE = `${assignmentActive("uk", "kd")} AND ${assignedAsOf("uk", "$2::date")}`;

export interface ScoredAssignment {
  userId: number;
  weight: number;
  achievement: number | null;
}

/** Each active assignment of the given users with the achievement of its latest measured period. */
export async function scoredAssignments(pool: pg.Pool, userIds: readonly number[], today: string): Promise<ScoredAssignment[]> {
  const result = await pool.query<ScoredAssignment>(
    prepared(
      pool,
      "scored-assignments",
      `SELECT uk.user_id AS "userId", uk.weight::float8 AS "weight", latest.achievement_percentage::float8 AS "achievement"
     FROM user_kpis uk
     JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
     LEFT JOIN LATERAL (
       SELECT achievement_percentage FROM kpi_measurements m
       WHERE m.user_kpi_id = uk.id ORDER BY m.period_start DESC LIMIT 1
     ) latest ON true
     WHERE uk.user_id = ANY($1::int[]) AND ${ACTIVE}`,
      [userIds, today],
    ),
  );
  return result.rows;
}

export interface KpiAverageRow {
  teamId: number;
  kpiDefinitionId: number;
  memberCount: number;
  averageActualValue: number | null;
  averageAchievementPercentage: number | null;
}

/**
 * Per team and KPI: the averages over the members whose latest measurement of the KPI is in the
 * KPI's latest measured period within the team, so every average compares one period.
 *
 * A set-based query rather than a materialized view: it reads only the team's members through the
 * (user_kpi_id, period_start) index, so it is as fast as a view lookup for a team, is never stale,
 * and costs nothing on writes (a view would need a refresh of every team on every measurement).
 */
export async function kpiAveragesOfTeams(pool: pg.Pool, teamIds: readonly number[], today: string): Promise<KpiAverageRow[]> {
  const result = await pool.query<KpiAverageRow>(
    prepared(
      pool,
      "kpi-averages-of-teams",
      `WITH latest AS (
       SELECT tm.team_id, uk.kpi_definition_id, uk.user_id, m.period_start, m.actual_value, m.achievement_percentage
       FROM team_members tm
       JOIN user_kpis uk ON uk.user_id = tm.user_id
       JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
       CROSS JOIN LATERAL (
         SELECT period_start, actual_value, achievement_percentage FROM kpi_measurements m
         WHERE m.user_kpi_id = uk.id ORDER BY m.period_start DESC LIMIT 1
       ) m
       WHERE tm.team_id = ANY($1::int[]) AND ${ACTIVE}
     ), latest_period AS (
       SELECT team_id, kpi_definition_id, max(period_start) AS period_start FROM latest GROUP BY team_id, kpi_definition_id
     )
     SELECT l.team_id AS "teamId", l.kpi_definition_id AS "kpiDefinitionId", count(DISTINCT l.user_id)::int AS "memberCount",
       round(avg(l.actual_value), 2)::float8 AS "averageActualValue",
       round(avg(l.achievement_percentage), 2)::float8 AS "averageAchievementPercentage"
     FROM latest l JOIN latest_period p USING (team_id, kpi_definition_id, period_start)
     GROUP BY l.team_id, l.kpi_definition_id
     ORDER BY l.team_id, l.kpi_definition_id`,
      [teamIds, today],
    ),
  );
  return result.rows;
}
