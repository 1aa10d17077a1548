import type pg from "pg";
import type { AggregationPeriodValue, RunSelection } from "../../db/schema/index.js";
import { assignmentCovers, latestCompletedPeriod, periodContaining as periodOf, type Period } from "../../scoring/periods.js";
import { inTransaction } from "../../db/transaction.js";
import { candidateAssignments, savePlan } from "./run.store.js";

/**
 * Cuts assignments (ordered by user) into batches of about `size`, never splitting a user: a
 * user's formula KPIs must run in the batch that calculates their inputs.
 */
export function chunkByUser(assignments: readonly { userKpiId: number; userId: number }[], size: number): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let previousUser: number | undefined;
  for (const { userKpiId, userId } of assignments) {
    if (current.length >= size && userId !== previousUser) {
      batches.push(current);
      current = [];
    }
    current.push(userKpiId);
    previousUser = userId;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The period a run calculates for a definition of `aggregation`. */
export function runPeriod(aggregation: AggregationPeriodValue, periodContaining: string | null, today: string): Period {
  return periodContaining === null ? latestCompletedPeriod(aggregation, today) : periodOf(aggregation, periodContaining);
}

/**
 * runPeriod for one run, computed once per kind of period: a run has tens of thousands of
 * assignments but at most four kinds, and each computation parses and formats dates.
 */
export function runPeriods(periodContaining: string | null, today: string): (aggregation: AggregationPeriodValue) => Period {
  const periods = new Map<AggregationPeriodValue, Period>();
  return (aggregation) => {
    let period = periods.get(aggregation);
    if (!period) {
      period = runPeriod(aggregation, periodContaining, today);
      periods.set(aggregation, period);
    }
    return period;
  };
}

/**
 * Plans a run once: its assignments whose dates overlap their period, in batches stored in one
 * transaction. Returns the batch numbers to queue, or null when an earlier attempt planned it
 * already (the caller re-queues what is left).
 */
export async function planRun(pool: pg.Pool, runId: number, batchSize: number): Promise<number[] | null> {
  const run = await pool.query<{ selection: RunSelection; periodContaining: string | null; today: string; planned: boolean }>(
    `SELECT selection, period_containing::text AS "periodContaining", today::text AS today,
       EXISTS (SELECT 1 FROM calculation_batches WHERE run_id = $1) AS planned
     FROM calculation_runs WHERE id = $1`,
    [runId],
  );
  const found = run.rows[0];
  if (!found) return []; // deleted meanwhile: nothing to do
  if (found.planned) return null;
  const periods = new Map<string, Period>();
  const periodOf = runPeriods(found.periodContaining, found.today);
  const selected = (await candidateAssignments(pool, found.selection)).filter((a) => {
    const period = periodOf(a.aggregationPeriod);
    periods.set(`${period.start}/${period.end}`, period);
    return assignmentCovers(a, period) && period.start <= found.today;
  });
  const batches = chunkByUser(selected, batchSize);
  await inTransaction(pool, (client) => savePlan(client, runId, batches, periods.size === 1 ? [...periods.values()][0]! : null));
  return batches.map((_, i) => i + 1);
}
