import type { Agenda } from "agenda";
import type pg from "pg";
import { planRun } from "../modules/run/run-planner.js";
import { batchNumbersToRun, refreshRun } from "../modules/run/run.store.js";
import { JOB } from "./job-names.js";
import { calculationBackoff, type JobKind, type JobQueue } from "./queue.js";
import type { TakeSnapshotsJob } from "./take-snapshots.job.js";

/**
 * Plans a run into batches (chunks of users with all their KPIs of the run) and queues one
 * calculate-batch job per batch, so work spreads over workers and a crash loses at most a batch.
 * Retried with calculationBackoff; a retried plan re-queues the batches that are left.
 */
export class PlanRunJob implements JobKind {
  constructor(
    private readonly queue: JobQueue,
    private readonly snapshots: TakeSnapshotsJob,
    private readonly pool: pg.Pool,
    private readonly settings: { batchSize: number; lockLifetimeMs: number; maxAttempts: number },
  ) {}

  define(agenda: Agenda): void {
    agenda.define<{ runId: number }>(JOB.plan, (job) => this.run(job.attrs.data.runId), {
      lockLifetime: this.settings.lockLifetimeMs,
      backoff: calculationBackoff(this.settings.maxAttempts),
    });
  }

  /** Splits a run into batches and queues them; a retried plan re-queues what is left. */
  async run(runId: number): Promise<void> {
    const batchNumbers = await planRun(this.pool, runId, this.settings.batchSize);
    for (const batchNo of batchNumbers ?? (await batchNumbersToRun(this.pool, runId))) {
      await this.queue.agenda.now(JOB.batch, { runId, batchNo });
    }
    if (batchNumbers?.length === 0) await this.snapshots.afterRun(await refreshRun(this.pool, runId));
  }
}
