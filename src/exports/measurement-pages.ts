import type pg from "pg";

/** One measurement with its user, assignment and definition, as both exports write it. */
export interface MeasurementExportRow {
  user_id: number;
  user_name: string;
  user_email: string;
  user_kpi_id: number;
  kpi_definition_id: number;
  kpi_name: string;
  category: string | null;
  unit: string | null;
  aggregation_period: string;
  period_start: string;
  period_end: string;
  actual_value: number | null;
  target_value: number | null;
  achievement_percentage: number | null;
  weight: number;
  calculated_at: Date;
  notes: string | null;
}

export interface MeasurementSelection {
  /** Whose measurements; the caller has already decided that the viewer may see each of them. */
  userIds: readonly number[];
  /** Measurements whose period starts in [from, to). */
  from: string;
  to: string;
}

/** Where the next page starts: just after this row in export order. */
interface PageKey {
  userId: number;
  definitionId: number;
  assignmentStart: string;
  userKpiId: number;
  periodStart: string;
  periodEnd: string;
}

type PageRow = MeasurementExportRow & { assignment_start: string };

export const PAGE_SIZE = 1000;

const FIRST_KEY: PageKey = {
  userId: 0,
  definitionId: 0,
  assignmentStart: "-infinity",
  userKpiId: 0,
  periodStart: "-infinity",
  periodEnd: "-infinity",
};

/**
 * One page of the export in its order: user, definition, assignment (one per start date), period.
 * The assignments come in that order from the (user_id, kpi_definition_id, start_date) index, and
 * each one's measurements from the (user_kpi_id, period_start, period_end) index of the partitions,
 * so a page reads about the rows it returns however long the export. `$6..$8` resume inside the
 * assignment where the previous page stopped. Numbers are cast to float8 (numeric(10,2) round-trips
 * exactly) and dates to text, as in measurement.store.ts.
 */
const PAGE_SQL = `
  SELECT u.id AS user_id, u.name AS user_name, u.email AS user_email,
         uk.id AS user_kpi_id, uk.start_date::text AS assignment_start, uk.weight::float8 AS weight,
         d.id AS kpi_definition_id, d.name AS kpi_name, d.category, d.unit, d.aggregation_period::text AS aggregation_period,
         m.period_start::text AS period_start, m.period_end::text AS period_end,
         m.actual_value::float8 AS actual_value, m.target_value::float8 AS target_value,
         m.achievement_percentage::float8 AS achievement_percentage, m.calculated_at, m.notes
  FROM user_kpis uk
  CROSS JOIN LATERAL (
    SELECT period_start, period_end, actual_value, target_value, achievement_percentage, calculated_at, notes
    FROM kpi_measurements
    WHERE user_kpi_id = uk.id AND period_start >= $1::date AND period_start < $2::date
      AND (uk.id <> $6::int OR (period_start, period_end) > ($7::date, $8::date))
    ORDER BY period_start, period_end
    LIMIT $9
  ) m
  JOIN users u ON u.id = uk.user_id
  JOIN kpi_definitions d ON d.id = uk.kpi_definition_id
  WHERE uk.user_id = ANY($10::int[])
    AND (uk.user_id, uk.kpi_definition_id, uk.start_date) >= ($3::int, $4::int, $5::date)
  ORDER BY uk.user_id, uk.kpi_definition_id, uk.start_date, m.period_start, m.period_end
  LIMIT $9`;

/**
 * The selected measurements, a page of `pageSize` rows at a time, each page its own statement
 * (keyset pagination). No cursor: a cursor keeps its connection, and on the embedded database the
 * one session every connection shares, for the whole download, so a slow client would stall every
 * other request. Between pages nothing is held; a consumer that stops asking (the client went away)
 * stops the reads. Pages are read-committed snapshots of their own: a measurement written during a
 * download may or may not appear, and none appears twice or is skipped for it.
 */
export async function* measurementPages(
  pool: pg.Pool,
  selection: MeasurementSelection,
  pageSize = PAGE_SIZE,
): AsyncGenerator<MeasurementExportRow[]> {
  if (selection.userIds.length === 0) return;
  let key = FIRST_KEY;
  for (;;) {
    const { rows } = await pool.query<PageRow>(PAGE_SQL, [
      selection.from,
      selection.to,
      key.userId,
      key.definitionId,
      key.assignmentStart,
      key.userKpiId,
      key.periodStart,
      key.periodEnd,
      pageSize,
      selection.userIds,
    ]);
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    key = {
      userId: last.user_id,
      definitionId: last.kpi_definition_id,
      assignmentStart: last.assignment_start,
      userKpiId: last.user_kpi_id,
      periodStart: last.period_start,
      periodEnd: last.period_end,
    };
  }
}
