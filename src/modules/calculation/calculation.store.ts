import type pg from "pg";
import type { CalculationSubject } from "../../engine/outcome.js";

/** The user's latest measurement of a definition for exactly this period (formula inputs of type "kpi"). */
export async function kpiValueForPeriod(
  pool: pg.Pool,
  userId: number,
  kpiDefinitionId: number,
  period: CalculationSubject["period"],
): Promise<number | null> {
  const result = await pool.query<{ value: number | null }>(
    `SELECT m.actual_value::float8 AS value
     FROM kpi_measurements m JOIN user_kpis uk ON uk.id = m.user_kpi_id
     WHERE uk.user_id = $1 AND uk.kpi_definition_id = $2 AND m.period_start = $3 AND m.period_end = $4
     ORDER BY m.calculated_at DESC LIMIT 1`,
    [userId, kpiDefinitionId, period.start, period.end],
  );
  return result.rows[0]?.value ?? null;
}

export async function externalIdsOf(pool: pg.Pool, userId: number): Promise<Record<string, string>> {
  const result = await pool.query<{ provider: string; external_id: string }>(
    "SELECT provider, external_id FROM user_external_ids WHERE user_id = $1",
    [userId],
  );
  return Object.fromEntries(result.rows.map((row) => [row.provider, row.external_id]));
}
