import type { Agenda, Job } from "agenda";
import type pg from "pg";
import { inTransaction } from "../db/transaction.js";
import { calculateInStages, type AssignmentOutcome, type CalculableAssignment } from "../engine/batch/batch-calculation.js";
import type { MeasurementWriter } from "../engine/batch/measurement-writer.js";
import { definitionStages } from "../engine/batch/stages.js";
import type { CalculableDefinition, Calculator } from "../engine/calculator/calculator.js";
import type { QueryRunner } from "../engine/query/query-runner.js";
import type { LivePubSub } from "../live/topics.js";
import { runPeriods } from "../modules/run/run-planner.js";
import {
  batchAssignments,
  claimBatch,
  completeBatch,
  heartbeat,
  MAX_RUN_ISSUES,
  msUntilStale,
  releaseBatch,
  type BatchOutcome,
  type ClaimedBatch,
} from "../modules/run/run.store.js";
import { JOB } from "./job-names.js";
import { calculationBackoff, type JobKind, type JobQueue } from "./queue.js";
import type { TakeSnapshotsJob } from "./take-snapshots.job.js";

/** Added to a held batch's time to go stale before looking again, so that the look finds it stale. */
const STALE_MARGIN_MS = 500;

type BatchJob = Job<{ runId: number; batchNo: number }>;

export interface CalculationMetrics {
  countCalculation(type: string, adapter: string, outcome: AssignmentOutcome): void;
}

export interface CalculateBatchDependencies {
  pool: pg.Pool;
  calculator: Calculator;
  queries: QueryRunner;
  measurements: MeasurementWriter;
  metrics?: CalculationMetrics;
  /** Where stored measurements are announced to subscribers (of any API process). */
  live?: Pick<LivePubSub, "publish">;
}

export interface CalculateBatchSettings {
  /** Calculations in flight per batch. */
  concurrency: number;
  /** How long a batch may go without a heartbeat before another worker takes it over. */
  lockLifetimeMs: number;
  /** Attempts of a batch before it is recorded as failed. */
  maxAttempts: number;
}

/**
 * Calculates one batch of a run: claims it (so a duplicate job never calculates it twice at once),
 * calculates it stage by stage with heartbeats, and records its outcome; the last batch of a run
 * finishes the run. Retried with calculationBackoff, two at a time per worker; after maxAttempts
 * claims the batch is recorded as failed. A batch still running at a shutdown that timed out is
 * handed back (JobQueue.holding) for another worker.
 */
export class CalculateBatchJob implements JobKind {
  constructor(
    private readonly queue: JobQueue,
    private readonly snapshots: TakeSnapshotsJob,
    private readonly deps: CalculateBatchDependencies,
    private readonly settings: CalculateBatchSettings,
  ) {}

  define(agenda: Agenda): void {
    agenda.define<{ runId: number; batchNo: number }>(JOB.batch, (job) => this.run(job), {
      lockLifetime: this.settings.lockLifetimeMs,
      backoff: calculationBackoff(this.settings.maxAttempts),
      concurrency: 2,
    });
  }

  private async run(job: BatchJob): Promise<void> {
    const { runId, batchNo } = job.attrs.data;
    const { pool } = this.deps;
    const batch = await claimBatch(pool, runId, batchNo, this.settings.lockLifetimeMs);
    if (!batch) return this.lookAgainWhenStale(runId, batchNo);
    await this.queue.holding(
      job,
      () => releaseBatch(pool, runId, batchNo),
      async (hold) => {
        if (batch.attempts > this.settings.maxAttempts) {
          return this.complete(runId, batchNo, {
            status: "failed",
            succeeded: 0,
            failed: batch.userKpiIds.length,
            skipped: 0,
            undefinedCount: 0,
            errors: [],
          });
        }
        const touch = async () => {
          // Handed back at shutdown: another worker may hold it now, so this one stops rather than touch its claim or job.
          if (hold.handedBack) throw new Error(`batch ${runId}/${batchNo} was handed back at shutdown`);
          await heartbeat(pool, runId, batchNo);
          await job.touch();
        };
        const outcome = await this.calculate(batch, touch);
        // Handed back meanwhile: the worker that holds it now records the outcome.
        if (!hold.handedBack) await this.complete(runId, batchNo, outcome);
      },
    );
  }

  /**
   * The batch is finished, or held by a worker that still sent a heartbeat within the lock lifetime.
   * Finished: nothing to do twice. Held: the job must not just end, or a crashed holder's batch
   * would be lost. Agenda hands a job over once its lock (set by the holder's clock just before
   * the claim) has expired, which can be a little before the claim's heartbeat (the database's
   * clock) is stale; so a job of a held batch looks again once the holder's heartbeat would be
   * stale, and then takes the batch over or finds it finished.
   */
  private async lookAgainWhenStale(runId: number, batchNo: number): Promise<void> {
    const staleInMs = await msUntilStale(this.deps.pool, runId, batchNo, this.settings.lockLifetimeMs);
    if (staleInMs === null) return;
    await this.queue.agenda.schedule(new Date(Date.now() + staleInMs + STALE_MARGIN_MS), JOB.batch, { runId, batchNo });
  }

  /**
   * Calculates a batch stage by stage (calculateInStages); each stage's measurements are upserted,
   * announced and counted before the next stage starts.
   */
  private async calculate(batch: ClaimedBatch, touch: () => Promise<void>): Promise<BatchOutcome> {
    const { calculator, queries, measurements, metrics, live } = this.deps;
    const rows = await batchAssignments(this.deps.pool, batch.userKpiIds);
    // One object per definition, shared by its assignments, and one period per kind of period.
    const definitions = new Map<number, CalculableDefinition>();
    for (const row of rows) {
      if (definitions.has(row.definitionId)) continue;
      definitions.set(row.definitionId, {
        id: row.definitionId,
        calculationType: row.calculationType,
        dataSource: row.dataSource,
        updatedAt: new Date(row.definitionUpdatedAt),
      });
    }
    const stages = definitionStages([...definitions.values()]);
    const periodOf = runPeriods(batch.periodContaining, batch.today);
    const assignments: (CalculableAssignment & { adapter: string; stage: number })[] = rows.map((row) => ({
      userKpiId: row.userKpiId,
      userId: row.userId,
      targetValue: row.targetValue,
      targetType: row.targetType,
      definition: definitions.get(row.definitionId)!,
      period: periodOf(row.aggregationPeriod),
      externalIds: row.externalIds,
      adapter: row.calculationType === "api" ? String(row.dataSource?.type ?? "none") : "none",
      stage: stages.get(row.definitionId) ?? 0,
    }));
    const outcome: BatchOutcome = { status: "done", succeeded: 0, failed: 0, skipped: 0, undefinedCount: 0, errors: [] };
    let lastTouch = Date.now();
    await calculateInStages(calculator, queries, assignments, {
      concurrency: this.settings.concurrency,
      // A heartbeat well within the lock lifetime, without a write per calculation.
      afterEach: async () => {
        if (Date.now() - lastTouch < this.settings.lockLifetimeMs / 4) return;
        lastTouch = Date.now();
        await touch();
      },
      afterStage: async (results) => {
        await measurements.write(results.flatMap((result) => (result.write ? [result.write] : [])));
        for (const result of results) {
          const a = result.assignment;
          // The upsert has committed (it is a statement of its own), so subscribers can read what they are told of.
          // Published in one go, a stage's events leave in one statement of a few NOTIFYs.
          if (result.write) {
            const { userKpiId, period } = result.write;
            live?.publish("measurementRecorded", a.userId, { userKpiId, periodStart: period.start, periodEnd: period.end });
          }
          metrics?.countCalculation(a.definition.calculationType, a.adapter, result.outcome);
          if (result.outcome === "undefined") outcome.undefinedCount++;
          else outcome[result.outcome]++;
          if (result.outcome !== "succeeded" && outcome.errors.length < MAX_RUN_ISSUES) {
            outcome.errors.push({
              userId: a.userId,
              userKpiId: a.userKpiId,
              kpiDefinitionId: a.definition.id,
              outcome: result.outcome,
              message: result.message ?? result.outcome,
            });
          }
        }
      },
    });
    return outcome;
  }

  private async complete(runId: number, batchNo: number, outcome: BatchOutcome): Promise<void> {
    const finished = await inTransaction(this.deps.pool, (client) => completeBatch(client, runId, batchNo, outcome));
    await this.snapshots.afterRun(finished);
  }
}
