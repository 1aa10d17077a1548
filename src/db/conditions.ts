import { sql, type SQL } from "drizzle-orm";

/**
 * SQL conditions shared by the stores, the engine and the jobs, written once. Each takes the aliases
 * its query gives the tables (`uk` for user_kpis, `kd` for kpi_definitions, `u` for users) and the
 * SQL expressions of its days: a parameter such as `$2::date`, or a column.
 *
 * "Active assignment" is the flags (assignmentActive) and, separately, a question about dates. The
 * dates differ on purpose, because the questions do: which KPIs a user has (assignedAsOf: a future
 * assignment counts), which counted on a day (inForceOn: snapshots), and which have a value to
 * compute for a period (overlapsPeriod: runs and alert rules).
 */

/**
 * The assignment is on and its definition not archived. With `u`, its user is active too: the
 * engine (runs, snapshots, alert rules) does no work for someone deactivated, while a read about one
 * user (their KPIs, their score) is asked by name and shows what they were assigned.
 */
export function assignmentActive(uk: string, kd: string, u?: string): string {
  return u === undefined ? `${uk}.is_active AND ${kd}.is_active` : `${u}.is_active AND ${uk}.is_active AND ${kd}.is_active`;
}

/**
 * Not ended by `day` (end_date is the last day, inclusive; null while ongoing). A future assignment
 * counts: it is assigned, just not measured yet. The question a user's KPIs and live score ask.
 */
export function assignedAsOf(uk: string, day: string): string {
  return `(${uk}.end_date IS NULL OR ${uk}.end_date >= ${day})`;
}

/** In force on `day`: started by then and not ended. What a snapshot of that day records. */
export function inForceOn(uk: string, day: string): string {
  return `${uk}.start_date <= ${day} AND ${assignedAsOf(uk, day)}`;
}

/**
 * Covers some of the half-open period [start, end): started before it ends and not ended before it
 * starts, so there is a value to compute for it. scoring's assignmentCovers is the same test in
 * TypeScript (the run planner filters with it).
 */
export function overlapsPeriod(uk: string, start: string, end: string): string {
  return `${uk}.start_date < ${end} AND ${assignedAsOf(uk, start)}`;
}

/**
 * assignmentActive and assignedAsOf for a Drizzle query over the unaliased user_kpis and
 * kpi_definitions tables, `day` bound as a parameter.
 */
export function activeAssignmentAsOf(day: string): SQL {
  const hole = "\u0000";
  const [before, after] = `${assignmentActive("user_kpis", "kpi_definitions")} AND ${assignedAsOf("user_kpis", hole)}`.split(
    hole,
  );
  return sql`${sql.raw(before!)}${day}${sql.raw(after!)}`;
}
