import { desc, eq } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../../db/client.js";
import {
  calculationRuns,
  type AggregationPeriodValue,
  type CalculationRunRow,
  type RunIssue,
  type RunSelection,
  type RunStatusValue,
  type TargetTypeValue,
} from "../../db/schema/index.js";
import { assignmentActive } from "../../db/conditions.js";

/**
 * The data of calculation runs and their batches, for the service that requests and reads runs and
 * for the jobs that plan and calculate them. Every write a batch makes is idempotent (upserts and
 * "set to" updates), so a batch retried after a crash changes nothing that already succeeded.
 */

export interface NewRun {
  trigger: string;
  selection: RunSelection;
  periodContaining: string | null;
  today: string;
  requestedBy: number | null;
}

export async function createRun(db: Db, run: NewRun): Promise<CalculationRunRow> {
  const [row] = await db.insert(calculationRuns).values(run).returning();
  return row!;
}

export async function findRun(db: Db, id: number): Promise<CalculationRunRow | undefined> {
  const [row] = await db.select().from(calculationRuns).where(eq(calculationRuns.id, id));
  return row;
}

/** Newest first; only those `requestedBy` asked for when given. */
export function listRuns(db: Db, limit: number, requestedBy?: number): Promise<CalculationRunRow[]> {
  return db
    .select()
    .from(calculationRuns)
    .where(requestedBy === undefined ? undefined : eq(calculationRuns.requestedBy, requestedBy))
    .orderBy(desc(calculationRuns.createdAt), desc(calculationRuns.id))
    .limit(limit);
}

/** Errors kept per run: enough to act on, bounded so a run over 50,000 failing users stays small. */
export const MAX_RUN_ISSUES = 1000;

export interface CandidateAssignment {
  userKpiId: number;
  userId: number;
  kpiDefinitionId: number;
  aggregationPeriod: AggregationPeriodValue;
  startDate: string;
  endDate: string | null;
}

/**
 * Active assignments of active users and non-manual definitions within the selection, ordered by
 * user. Their dates are judged per period by the planner (assignmentCovers, overlapsPeriod's twin).
 */
export async function candidateAssignments(pool: pg.Pool, selection: RunSelection): Promise<CandidateAssignment[]> {
  const result = await pool.query<CandidateAssignment>(
    `SELECT uk.id AS "userKpiId", uk.user_id AS "userId", uk.kpi_definition_id AS "kpiDefinitionId",
       kd.aggregation_period AS "aggregationPeriod", uk.start_date::text AS "startDate", uk.end_date::text AS "endDate"
     FROM user_kpis uk
     JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
     JOIN users u ON u.id = uk.user_id
     WHERE ${assignmentActive("uk", "kd", "u")} AND kd.calculation_type <> 'manual'
       AND ($1::int[] IS NULL OR uk.id = ANY($1::int[]))
       AND ($2::int IS NULL OR uk.kpi_definition_id = $2::int)
       AND ($3::int IS NULL OR uk.user_id IN (SELECT user_id FROM team_members WHERE team_id = $3::int))
       AND ($4::int[] IS NULL OR uk.user_id = ANY($4::int[]))
       AND ($5::aggregation_period IS NULL OR kd.aggregation_period = $5::aggregation_period)
     ORDER BY uk.user_id, uk.id`,
    [
      selection.userKpiIds ?? null,
      selection.kpiDefinitionId ?? null,
      selection.teamId ?? null,
      selection.userIds ?? null,
      selection.aggregationPeriod ?? null,
    ],
  );
  return result.rows;
}

/** Stores the planned batches (numbered from 1) and the run's size and period in one transaction. */
export async function savePlan(
  client: pg.PoolClient,
  runId: number,
  batches: readonly number[][],
  period: { start: string; end: string } | null,
): Promise<void> {
  await client.query(
    `INSERT INTO calculation_batches (run_id, batch_no, user_kpi_ids)
     SELECT $1, batch_no::int, ARRAY(SELECT jsonb_array_elements_text(ids)::int)
     FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS b(ids, batch_no)
     ON CONFLICT DO NOTHING`,
    [runId, JSON.stringify(batches)],
  );
  await client.query(
    `UPDATE calculation_runs SET batches = $2, period_start = $3, period_end = $4,
       status = CASE WHEN status = 'queued' THEN 'running'::run_status ELSE status END, started_at = coalesce(started_at, now())
     WHERE id = $1`,
    [runId, batches.length, period?.start ?? null, period?.end ?? null],
  );
}

export async function batchNumbersToRun(pool: pg.Pool, runId: number): Promise<number[]> {
  const result = await pool.query<{ batchNo: number }>(
    `SELECT batch_no AS "batchNo" FROM calculation_batches WHERE run_id = $1 AND status IN ('queued', 'running') ORDER BY batch_no`,
    [runId],
  );
  return result.rows.map((row) => row.batchNo);
}

/** A batch taken by claimBatch, with what its calculations need of its run. */
export interface ClaimedBatch {
  runId: number;
  batchNo: number;
  userKpiIds: number[];
  attempts: number;
  periodContaining: string | null;
  today: string;
}

/**
 * Takes a batch for this worker: a queued one, or a running one whose worker stopped sending
 * heartbeats `staleAfterMs` ago (it crashed). Null when another worker holds it or it is finished,
 * so a duplicate job never calculates a batch twice at once. A running batch without a heartbeat
 * (none should be) counts as stale, so it can never be stuck. Returns the run's dates with it, which
 * saves every batch a round trip.
 */
export async function claimBatch(
  pool: pg.Pool,
  runId: number,
  batchNo: number,
  staleAfterMs: number,
): Promise<ClaimedBatch | null> {
  const result = await pool.query<ClaimedBatch>(
    `UPDATE calculation_batches b SET status = 'running', attempts = b.attempts + 1, heartbeat_at = now(), started_at = now()
     FROM calculation_runs r
     WHERE b.run_id = $1 AND b.batch_no = $2 AND r.id = b.run_id
       AND (b.status = 'queued'
         OR (b.status = 'running' AND coalesce(b.heartbeat_at < now() - make_interval(secs => $3::float8 / 1000), true)))
     RETURNING b.run_id AS "runId", b.batch_no AS "batchNo", b.user_kpi_ids AS "userKpiIds", b.attempts,
       r.period_containing::text AS "periodContaining", r.today::text AS today`,
    [runId, batchNo, staleAfterMs],
  );
  return result.rows[0] ?? null;
}

/**
 * Milliseconds until a running batch's heartbeat is `staleAfterMs` old (0 when it already is), by
 * the database's clock as claimBatch sees it; null when the batch is not running (finished).
 */
export async function msUntilStale(pool: pg.Pool, runId: number, batchNo: number, staleAfterMs: number): Promise<number | null> {
  const result = await pool.query<{ ms: number }>(
    `SELECT greatest(0, extract(epoch FROM heartbeat_at - now()) * 1000 + $3::float8)::float8 AS ms
     FROM calculation_batches WHERE run_id = $1 AND batch_no = $2 AND status = 'running'`,
    [runId, batchNo, staleAfterMs],
  );
  return result.rows[0]?.ms ?? null;
}

/** Gives a running batch back (a worker shutting down), so that the next worker claims it at once. */
export async function releaseBatch(pool: pg.Pool, runId: number, batchNo: number): Promise<void> {
  await pool.query(
    "UPDATE calculation_batches SET status = 'queued', heartbeat_at = NULL WHERE run_id = $1 AND batch_no = $2 AND status = 'running'",
    [runId, batchNo],
  );
}

export async function heartbeat(pool: pg.Pool, runId: number, batchNo: number): Promise<void> {
  await pool.query("UPDATE calculation_batches SET heartbeat_at = now() WHERE run_id = $1 AND batch_no = $2", [runId, batchNo]);
}

export interface BatchAssignmentRow {
  userKpiId: number;
  userId: number;
  targetValue: number;
  targetType: TargetTypeValue;
  definitionId: number;
  calculationType: "manual" | "query" | "api" | "formula";
  dataSource: Record<string, unknown> | null;
  definitionUpdatedAt: Date;
  aggregationPeriod: AggregationPeriodValue;
  externalIds: Record<string, string>;
}

/** The batch's assignments with their definitions and the users' external ids, in one statement. */
export async function batchAssignments(pool: pg.Pool, userKpiIds: readonly number[]): Promise<BatchAssignmentRow[]> {
  const result = await pool.query<BatchAssignmentRow>(
    `SELECT uk.id AS "userKpiId", uk.user_id AS "userId", uk.target_value::float8 AS "targetValue", kd.target_type AS "targetType",
       kd.id AS "definitionId", kd.calculation_type AS "calculationType", kd.data_source AS "dataSource",
       kd.updated_at AS "definitionUpdatedAt", kd.aggregation_period AS "aggregationPeriod",
       coalesce((SELECT jsonb_object_agg(provider, external_id) FROM user_external_ids e WHERE e.user_id = uk.user_id), '{}') AS "externalIds"
     FROM user_kpis uk JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
     WHERE uk.id = ANY($1::int[])
     ORDER BY uk.user_id, uk.id`,
    [userKpiIds],
  );
  return result.rows;
}

export interface BatchOutcome {
  status: "done" | "failed";
  succeeded: number;
  failed: number;
  skipped: number;
  undefinedCount: number;
  errors: RunIssue[];
}

/**
 * Records a batch's outcome and brings its run's totals up to date; when it was the run's last
 * batch, sets the run's final status. The run row is locked first, so that two batches finishing
 * at once see each other's outcome and exactly one of them finalises the run. Returns the run's
 * final status and duration when this call finished it.
 */
export async function completeBatch(
  client: pg.PoolClient,
  runId: number,
  batchNo: number,
  outcome: BatchOutcome,
): Promise<{ status: RunStatusValue; trigger: string; seconds: number } | null> {
  await client.query("SELECT 1 FROM calculation_runs WHERE id = $1 FOR UPDATE", [runId]);
  await client.query(
    `UPDATE calculation_batches SET status = $3, succeeded = $4, failed = $5, skipped = $6, undefined_count = $7,
       errors = $8::jsonb, finished_at = now()
     WHERE run_id = $1 AND batch_no = $2`,
    [
      runId,
      batchNo,
      outcome.status,
      outcome.succeeded,
      outcome.failed,
      outcome.skipped,
      outcome.undefinedCount,
      JSON.stringify(outcome.errors),
    ],
  );
  return refreshRun(client, runId);
}

/** Sums the batches into the run; finalises it when none is left to run. */
export async function refreshRun(
  client: pg.PoolClient | pg.Pool,
  runId: number,
): Promise<{ status: RunStatusValue; trigger: string; seconds: number } | null> {
  const result = await client.query<{ status: RunStatusValue; trigger: string; seconds: number; finished: boolean }>(
    `WITH totals AS (
       SELECT coalesce(sum(succeeded), 0)::int AS succeeded, coalesce(sum(failed), 0)::int AS failed,
         coalesce(sum(skipped), 0)::int AS skipped, coalesce(sum(undefined_count), 0)::int AS undefined_count,
         count(*) FILTER (WHERE status IN ('queued', 'running'))::int AS pending,
         count(*) FILTER (WHERE status = 'failed')::int AS failed_batches,
         count(*)::int AS batches,
         (SELECT jsonb_agg(issue) FROM (
            SELECT issue FROM calculation_batches b2, jsonb_array_elements(b2.errors) issue
            WHERE b2.run_id = $1 ORDER BY b2.batch_no LIMIT ${MAX_RUN_ISSUES}) issues) AS errors
       FROM calculation_batches WHERE run_id = $1
     )
     UPDATE calculation_runs r SET succeeded = t.succeeded, failed = t.failed, skipped = t.skipped,
       undefined_count = t.undefined_count, errors = t.errors,
       status = CASE
         WHEN t.pending > 0 THEN r.status
         WHEN t.failed_batches = t.batches AND t.batches > 0 THEN 'failed'
         WHEN t.failed = 0 AND t.failed_batches = 0 THEN 'succeeded'
         WHEN t.succeeded + t.undefined_count + t.skipped = 0 THEN 'failed'
         ELSE 'partial' END::run_status,
       finished_at = CASE WHEN t.pending > 0 THEN NULL ELSE coalesce(r.finished_at, now()) END
     FROM totals t
     WHERE r.id = $1
     RETURNING r.status, r.trigger, extract(epoch FROM r.finished_at - coalesce(r.started_at, r.created_at))::float8 AS seconds,
       t.pending = 0 AS finished`,
    [runId],
  );
  const row = result.rows[0];
  return row?.finished ? { status: row.status, trigger: row.trigger, seconds: row.seconds } : null;
}
