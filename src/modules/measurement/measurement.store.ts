import { and, eq } from "drizzle-orm";
import type pg from "pg";
import type { DbOrTx } from "../../db/client.js";
import { prepared } from "../../db/prepared.js";
import { kpiMeasurements, type KpiMeasurementRow } from "../../db/schema/index.js";

/** A measurement as the dashboards read it (GraphQL Measurement): numbers as numbers, days as text. */
export interface Measurement {
  id: string;
  userKpiId: number;
  periodStart: string;
  periodEnd: string;
  actualValue: number | null;
  targetValue: number | null;
  achievementPercentage: number | null;
  calculatedAt: Date;
  calculatedById: number | null;
  notes: string | null;
  calculationMetadata: unknown;
}

/** A user's overall score and per-KPI scores on one day (GraphQL Snapshot). */
export interface Snapshot {
  userId: number;
  snapshotDate: string;
  overallScore: number | null;
  kpiScores: unknown;
}

/**
 * Reads of measurements and snapshots for the dashboards, in plain SQL over node-postgres: each
 * function answers a whole batch of assignments (or users) in one statement. Numbers are cast to
 * float8 and dates to text in SQL so rows need no mapping.
 */

export const MEASUREMENT_COLUMNS = `
  id::text AS "id", user_kpi_id AS "userKpiId", period_start::text AS "periodStart", period_end::text AS "periodEnd",
  actual_value::float8 AS "actualValue", target_value::float8 AS "targetValue",
  achievement_percentage::float8 AS "achievementPercentage", calculated_at AS "calculatedAt",
  calculated_by AS "calculatedById", notes, calculation_metadata AS "calculationMetadata"`;

/**
 * The latest `counts[i]` measurements of assignment `userKpiIds[i]`, newest first. Per assignment, a
 * LIMIT over the (user_kpi_id, period_start) index of the partitions, newest partition first: it
 * reads the rows it returns (and the empty partitions ahead of them), however long the history. A
 * window over `user_kpi_id = ANY(…)` read every measurement of every assignment before ranking them.
 */
export async function latestMeasurements(
  pool: pg.Pool,
  userKpiIds: readonly number[],
  counts: readonly number[],
): Promise<Measurement[]> {
  const result = await pool.query<Measurement>(
    prepared(
      pool,
      "latest-measurements",
      `SELECT ${MEASUREMENT_COLUMNS}
       FROM unnest($1::int[], $2::int[]) AS wanted(assignment_id, how_many)
       CROSS JOIN LATERAL (
         SELECT * FROM kpi_measurements m WHERE m.user_kpi_id = wanted.assignment_id ORDER BY m.period_start DESC LIMIT wanted.how_many
       ) latest
       ORDER BY user_kpi_id, period_start DESC`,
      [userKpiIds, counts],
    ),
  );
  return result.rows;
}

export interface HistoryWindow {
  from: string | null;
  to: string | null;
  limit: number;
}

/** Measurements whose period starts within [from, to), newest first, at most `limit` per assignment. */
export async function measurementHistory(
  pool: pg.Pool,
  userKpiIds: readonly number[],
  window: HistoryWindow,
): Promise<Measurement[]> {
  const result = await pool.query<Measurement>(
    `SELECT ${MEASUREMENT_COLUMNS} FROM (
       SELECT m.*, row_number() OVER (PARTITION BY user_kpi_id ORDER BY period_start DESC) AS rank
       FROM kpi_measurements m
       WHERE user_kpi_id = ANY($1::int[])
         AND ($2::date IS NULL OR period_start >= $2::date)
         AND ($3::date IS NULL OR period_start < $3::date)
     ) ranked
     WHERE rank <= $4
     ORDER BY user_kpi_id, period_start DESC`,
    [userKpiIds, window.from, window.to, window.limit],
  );
  return result.rows;
}

/** Daily snapshots of the given users dated within [from, to), oldest first. */
export async function snapshotsOfUsers(
  pool: pg.Pool,
  userIds: readonly number[],
  from: string | null,
  to: string | null,
): Promise<Snapshot[]> {
  const result = await pool.query<Snapshot>(
    `SELECT user_id AS "userId", snapshot_date::text AS "snapshotDate", overall_score::float8 AS "overallScore", kpi_scores AS "kpiScores"
     FROM kpi_snapshots
     WHERE user_id = ANY($1::int[]) AND ($2::date IS NULL OR snapshot_date >= $2::date) AND ($3::date IS NULL OR snapshot_date < $3::date)
     ORDER BY user_id, snapshot_date`,
    [userIds, from, to],
  );
  return result.rows;
}

/** A measurement by its (assignment, period) key, and the assignment's user it must belong to. */
export interface MeasurementOfUserKey {
  userId: number;
  userKpiId: number;
  periodStart: string;
  periodEnd: string;
}

/**
 * The measurements of `keys`, in key order; undefined for a key without one or whose assignment is
 * not the user's (the key comes from an event, and a stray event must not show another user's value).
 */
export async function measurementsOfUsers(
  pool: pg.Pool,
  keys: readonly MeasurementOfUserKey[],
): Promise<(Measurement | undefined)[]> {
  const result = await pool.query<Measurement & { ordinal: number }>(
    `SELECT ${MEASUREMENT_COLUMNS}, ordinal FROM (
       SELECT m.*, wanted.ordinal
       FROM unnest($1::int[], $2::int[], $3::date[], $4::date[]) WITH ORDINALITY AS wanted(user_id, user_kpi_id, period_start, period_end, ordinal)
       JOIN kpi_measurements m USING (user_kpi_id, period_start, period_end)
       JOIN user_kpis uk ON uk.id = m.user_kpi_id AND uk.user_id = wanted.user_id
     ) found`,
    [keys.map((k) => k.userId), keys.map((k) => k.userKpiId), keys.map((k) => k.periodStart), keys.map((k) => k.periodEnd)],
  );
  const byOrdinal = new Map(result.rows.map(({ ordinal, ...row }) => [Number(ordinal), row]));
  return keys.map((_key, index) => byOrdinal.get(index + 1));
}

/** A measurement's key: its assignment and period. */
export interface MeasurementKey {
  userKpiId: number;
  periodStart: string;
  periodEnd: string;
}

type MeasurementFields = Omit<typeof kpiMeasurements.$inferInsert, "id" | "userKpiId" | "periodStart" | "periodEnd">;

/** The measurement of the key, locked until the transaction ends (what it replaces is audited). */
export async function lockMeasurement(tx: DbOrTx, key: MeasurementKey): Promise<KpiMeasurementRow | undefined> {
  const [row] = await tx
    .select()
    .from(kpiMeasurements)
    .where(
      and(
        eq(kpiMeasurements.userKpiId, key.userKpiId),
        eq(kpiMeasurements.periodStart, key.periodStart),
        eq(kpiMeasurements.periodEnd, key.periodEnd),
      ),
    )
    .for("update");
  return row;
}

/** Stores the measurement of the key, replacing the one there: recording or calculating a period again replaces its value. */
export async function upsertMeasurement(db: DbOrTx, key: MeasurementKey, fields: MeasurementFields): Promise<KpiMeasurementRow> {
  const [row] = await db
    .insert(kpiMeasurements)
    .values({ ...key, ...fields })
    .onConflictDoUpdate({
      target: [kpiMeasurements.userKpiId, kpiMeasurements.periodStart, kpiMeasurements.periodEnd],
      set: fields,
    })
    .returning();
  return row!;
}
