import type pg from "pg";
import { assignmentActive, inForceOn } from "../../db/conditions.js";
import { overallScore } from "../../scoring/overall-score.js";

interface ScoredRow {
  userId: number;
  kpiDefinitionId: number;
  weight: number;
  achievement: number | null;
  actualValue: number | null;
  periodStart: string | null;
}

/**
 * Writes the snapshot of `date` for every active user with active assignments: the overall score
 * (as the live overallScore computes it) and, per KPI, the latest measured period by that date.
 * Idempotent per (user, date): a second run replaces the day's figures. Returns the users written.
 */
export async function writeSnapshots(pool: pg.Pool, date: string, scoreCap: number): Promise<number> {
  const { rows } = await pool.query<ScoredRow>(
    `SELECT uk.user_id AS "userId", uk.kpi_definition_id AS "kpiDefinitionId", uk.weight::float8 AS weight,
       latest.achievement_percentage::float8 AS achievement, latest.actual_value::float8 AS "actualValue",
       latest.period_start::text AS "periodStart"
     FROM user_kpis uk
     JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
     JOIN users u ON u.id = uk.user_id
     LEFT JOIN LATERAL (
       SELECT achievement_percentage, actual_value, period_start FROM kpi_measurements m
       WHERE m.user_kpi_id = uk.id AND m.period_start <= $1::date ORDER BY m.period_start DESC LIMIT 1
     ) latest ON true
     WHERE ${assignmentActive("uk", "kd", "u")} AND ${inForceOn("uk", "$1::date")}
     ORDER BY uk.user_id`,
    [date],
  );
  const byUser = new Map<number, ScoredRow[]>();
  for (const row of rows) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row]);
  const userIds = [...byUser.keys()];
  if (userIds.length === 0) return 0;
  await pool.query(
    `INSERT INTO kpi_snapshots (user_id, snapshot_date, overall_score, kpi_scores)
     SELECT u.user_id, $1::date, u.overall_score, u.kpi_scores FROM unnest($2::int[], $3::numeric[], $4::jsonb[]) AS u(user_id, overall_score, kpi_scores)
     ON CONFLICT (user_id, snapshot_date) DO UPDATE SET overall_score = EXCLUDED.overall_score, kpi_scores = EXCLUDED.kpi_scores`,
    [
      date,
      userIds,
      userIds.map((id) => overallScore(byUser.get(id)!, scoreCap)),
      userIds.map((id) =>
        JSON.stringify(
          Object.fromEntries(
            byUser
              .get(id)!
              .map((row) => [
                row.kpiDefinitionId,
                { achievement: row.achievement, actualValue: row.actualValue, periodStart: row.periodStart },
              ]),
          ),
        ),
      ),
    ],
  );
  return userIds.length;
}
