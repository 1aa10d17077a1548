import { desc, inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import {
  aggregationPeriod,
  calculationRuns,
  type AggregationPeriodValue,
  type CalculationRunRow,
} from "../../db/schema/index.js";

/** The latest run of each period's schedule; a period whose schedule never ran is absent. */
export async function lastScheduledRuns(db: Db): Promise<Map<AggregationPeriodValue, CalculationRunRow>> {
  const rows = await db
    .selectDistinctOn([calculationRuns.trigger])
    .from(calculationRuns)
    .where(
      inArray(
        calculationRuns.trigger,
        aggregationPeriod.enumValues.map((period) => `schedule:${period}`),
      ),
    )
    .orderBy(calculationRuns.trigger, desc(calculationRuns.createdAt), desc(calculationRuns.id));
  return new Map(rows.map((row) => [row.trigger.slice("schedule:".length) as AggregationPeriodValue, row]));
}

export interface RunTotals {
  runs: number;
  failedRuns: number;
  partialRuns: number;
  succeeded: number;
  failed: number;
  skipped: number;
  undefinedCount: number;
}

/** Sums over the runs that finished since `since`. */
export async function runTotalsSince(db: Db, since: Date): Promise<RunTotals> {
  const { rows } = await db.$client.query<RunTotals>(
    `SELECT count(*)::int AS runs,
       count(*) FILTER (WHERE status = 'failed')::int AS "failedRuns",
       count(*) FILTER (WHERE status = 'partial')::int AS "partialRuns",
       coalesce(sum(succeeded), 0)::int AS succeeded, coalesce(sum(failed), 0)::int AS failed,
       coalesce(sum(skipped), 0)::int AS skipped, coalesce(sum(undefined_count), 0)::int AS "undefinedCount"
     FROM calculation_runs WHERE finished_at >= $1`,
    [since],
  );
  return rows[0]!;
}

/** Runs queued or running, and since when the oldest of them waits. */
export async function unfinishedRuns(db: Db): Promise<{ count: number; oldestCreatedAt: Date | null }> {
  const { rows } = await db.$client.query<{ count: number; oldestCreatedAt: Date | null }>(
    `SELECT count(*)::int AS count, min(created_at) AS "oldestCreatedAt"
     FROM calculation_runs WHERE status IN ('queued', 'running')`,
  );
  return rows[0]!;
}
