import type pg from "pg";

/** A value that was just stored outside a run: formula KPIs that read it are now stale, and subscribers are told. */
export interface StoredMeasurement {
  userId: number;
  userKpiId: number;
  kpiDefinitionId: number;
  /** The stored period [periodStart, periodEnd); the dependents recalculate their periods containing its start. */
  periodStart: string;
  periodEnd: string;
  /** Who stored it (a manual entry); null for a calculation. */
  actorId: number | null;
}

/**
 * The user's active assignments of active formula KPIs that read `definitionId` through a
 * `{ type: "kpi" }` input, directly or through other formulas. UNION (not UNION ALL) ends the
 * recursion on a cycle, which saving definitions refuses anyway.
 */
export async function dependentAssignmentIds(pool: pg.Pool, userId: number, definitionId: number): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>(
    `WITH RECURSIVE formula_inputs AS (
       SELECT kd.id, input->'source'->>'kpiDefinitionId' AS reads
       FROM kpi_definitions kd,
         jsonb_array_elements(CASE WHEN jsonb_typeof(kd.data_source->'inputs') = 'array' THEN kd.data_source->'inputs' ELSE '[]' END) input
       WHERE kd.calculation_type = 'formula' AND kd.is_active AND input->'source'->>'type' = 'kpi'
     ), dependents(id) AS (
       SELECT id FROM formula_inputs WHERE reads = $2::text
       UNION
       SELECT f.id FROM formula_inputs f JOIN dependents d ON f.reads = d.id::text
     )
     SELECT uk.id FROM user_kpis uk
     WHERE uk.user_id = $1 AND uk.is_active AND uk.kpi_definition_id IN (SELECT id FROM dependents)
     ORDER BY uk.id`,
    [userId, definitionId],
  );
  return rows.map((row) => row.id);
}
