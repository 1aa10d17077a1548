import type pg from "pg";
import type { Db } from "../../db/client.js";
import { ensureMeasurementPartitions } from "../../db/partitions.js";
import type { TargetTypeValue } from "../../db/schema/index.js";
import type { SourceResult } from "../outcome.js";
import { achievementPercentage } from "../../scoring/achievement.js";
import type { Period } from "../../scoring/periods.js";

/** One calculated measurement to store; a null actual is an "undefined" outcome (stored without a value). */
export interface MeasurementWrite {
  userKpiId: number;
  period: Period;
  actualValue: number | null;
  targetValue: number | null;
  achievementPercentage: number | null;
  calculationMetadata: Record<string, unknown>;
}

/**
 * The measurement a value or an "undefined" outcome gives (a skipped one gives none): the value to
 * two decimals, the target of the moment with its achievement, and the provenance with the outcome.
 */
export function calculatedMeasurement(
  result: Exclude<SourceResult, { kind: "skipped" }>,
  assignment: { userKpiId: number; targetValue: number; targetType: TargetTypeValue },
  period: Period,
  extraMetadata: Record<string, unknown> = {},
): MeasurementWrite {
  const value = result.kind === "value" ? Math.round(result.value * 100) / 100 : null;
  return {
    userKpiId: assignment.userKpiId,
    period,
    actualValue: value,
    targetValue: assignment.targetValue,
    achievementPercentage: achievementPercentage(assignment.targetType, value, assignment.targetValue),
    calculationMetadata: {
      ...result.metadata,
      outcome: result.kind,
      ...(result.kind === "undefined" ? { reason: result.reason } : {}),
      ...extraMetadata,
    },
  };
}

/**
 * Upserts many measurements in ONE statement: each column travels as one array parameter and unnest
 * turns them back into rows, so a batch of any size costs one round trip and one plan (a many-row
 * VALUES list would be a new statement text, and a new plan, for every batch size). Recalculating a
 * period replaces its row through the (user_kpi_id, period_start, period_end) unique index. The
 * partitions for the periods must exist (ensureMeasurementPartitions). Rows must not repeat a key
 * within one call: ON CONFLICT cannot update the same row twice in one statement.
 */
export async function upsertMeasurements(pool: pg.Pool | pg.PoolClient, rows: readonly MeasurementWrite[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await pool.query(
    `INSERT INTO kpi_measurements
       (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage, calculation_metadata,
        calculated_at, calculated_by)
     SELECT u.*, now(), NULL
     FROM unnest($1::int[], $2::date[], $3::date[], $4::numeric[], $5::numeric[], $6::numeric[], $7::jsonb[]) AS u
     ON CONFLICT (user_kpi_id, period_start, period_end) DO UPDATE SET
       actual_value = EXCLUDED.actual_value,
       target_value = EXCLUDED.target_value,
       achievement_percentage = EXCLUDED.achievement_percentage,
       calculation_metadata = EXCLUDED.calculation_metadata,
       calculated_at = EXCLUDED.calculated_at,
       calculated_by = NULL`,
    [
      rows.map((r) => r.userKpiId),
      rows.map((r) => r.period.start),
      rows.map((r) => r.period.end),
      rows.map((r) => r.actualValue),
      rows.map((r) => r.targetValue),
      rows.map((r) => r.achievementPercentage),
      // As JSON text: node-postgres would otherwise serialise an array of objects as a PostgreSQL array literal of "[object Object]".
      rows.map((r) => JSON.stringify(r.calculationMetadata)),
    ],
  );
  return result.rowCount ?? rows.length;
}

/**
 * Stores calculated measurements, each month's partition ensured first. The months seen are
 * remembered for the life of the process: the server never drops a partition, so one seen once stays.
 */
export class MeasurementWriter {
  /** Months ("YYYY-MM") whose measurement partition is known to exist. */
  private readonly partitions = new Set<string>();

  constructor(private readonly db: Db) {}

  async write(rows: readonly MeasurementWrite[]): Promise<void> {
    await this.ensurePartitions(rows.map((row) => row.period.start));
    await upsertMeasurements(this.db.$client, rows);
  }

  /** The measurement partitions of these period starts, looked up once per month and process. */
  private async ensurePartitions(periodStarts: readonly string[]): Promise<void> {
    for (const start of new Set(periodStarts)) {
      const month = start.slice(0, 7);
      if (this.partitions.has(month)) continue;
      await ensureMeasurementPartitions(this.db, start, start);
      this.partitions.add(month);
    }
  }
}
